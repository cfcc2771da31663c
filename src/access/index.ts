// Operator access: API tokens and roles.
export { issueApiToken, authenticateApiToken, revokeApiToken, countApiTokens, operatorRoles, type OperatorRole, type Principal, type IssuedToken } from './api-tokens.ts';
