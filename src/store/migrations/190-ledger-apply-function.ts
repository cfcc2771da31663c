import type { Migration } from './index.ts';

// One round trip per ledger batch on PostgreSQL (issue 11 item 1): anfu_ledger_apply takes a batch as
// parallel arrays, one element per leg, and in one statement locks the accounts (id order) and holds
// (seq order), looks up the idempotency keys, decides every leg exactly as src/ledger/decide.ts does
// (same checks in the same order, same codes and details, linked units all or none), appends the
// journal, writes balances and holds, and appends the batch's `ledger.postings` audit entry with the
// same canonical bytes, leaf and chain hashes as src/audit. decide.ts stays the specification: the
// differential test src/ledger/apply-function.test.ts runs random batches through both and compares.
// SQLite has no server-side functions: there the batch already runs in-process (sqlite-batch.ts).
//
// Working state lives in arrays indexed by small integers computed by joins (no per-leg search),
// with no NULLs in the arrays read inside the loop (keeps element access O(1)).
export const ledgerApplyFunction: Migration = {
  id: 190,
  name: 'ledger-apply-function',
  sql: '',
  postgresSql: `
CREATE FUNCTION anfu_ledger_apply(
  p_unit INT[], p_key TEXT[], p_hash TEXT[], p_kind TEXT[], p_debit TEXT[], p_credit TEXT[],
  p_amount NUMERIC[], p_currency TEXT[], p_hold BIGINT[], p_reference TEXT[], p_timeout BIGINT[],
  p_now BIGINT, p_audit BOOLEAN)
RETURNS TABLE (r_leg INT, r_verdict TEXT, r_code TEXT, r_detail TEXT, r_seq BIGINT, r_key TEXT, r_kind TEXT,
  r_debit TEXT, r_credit TEXT, r_amount BIGINT, r_currency TEXT, r_hold BIGINT, r_reference TEXT, r_created BIGINT)
LANGUAGE plpgsql AS $fn$
DECLARE
  n INT := coalesce(array_length(p_key, 1), 0);
  ids TEXT[];
  -- accounts, by index in id order
  a_id TEXT[]; a_cur TEXT[]; a_neg BOOLEAN[]; a_open BOOLEAN[];
  dp BIGINT[]; cp BIGINT[]; dpe BIGINT[]; cpe BIGINT[]; a_touched BOOLEAN[];
  s_dp BIGINT[]; s_cp BIGINT[]; s_dpe BIGINT[]; s_cpe BIGINT[];
  -- holds, by index in seq order; state 0 pending, 1 posted, 2 voided, 3 expired
  h_seq BIGINT[]; h_amt BIGINT[]; h_cur TEXT[]; h_state INT[]; h_exp BIGINT[]; h_has_exp BOOLEAN[];
  h_d INT[]; h_c INT[]; h_by INT[]; s_state INT[]; s_by INT[];
  -- existing journal rows with a key of this batch
  e_seq BIGINT[]; e_key TEXT[]; e_hash TEXT[]; e_kind TEXT[]; e_d TEXT[]; e_c TEXT[]; e_amt BIGINT[];
  e_cur TEXT[]; e_hold BIGINT[]; e_ref TEXT[]; e_at BIGINT[];
  -- per leg: kind 1 single, 2 hold, 3 post, 4 void, 5 expire
  k INT[]; li_d INT[]; li_c INT[]; li_h INT[]; li_e INT[]; prev INT[]; amt BIGINT[]; amt_ok BOOLEAN[];
  amt_given BOOLEAN[];
  -- per leg, the decision: 0 undecided, 1 applied, 2 replayed (existing), 3 replayed (leg), 4 refused
  v INT[]; v_code TEXT[]; v_detail TEXT[]; v_of INT[];
  t_d INT[]; t_c INT[]; t_amt BIGINT[]; t_cur TEXT[]; t_hold BIGINT[]; t_exp BIGINT[]; t_seq BIGINT[];
  i INT; j INT; u INT; u_end INT; d INT; c INT; h INT; x INT; a BIGINT; failed INT;
  code TEXT; detail TEXT; earlier_hash TEXT;
  any_applied BOOLEAN := false; any_replayed BOOLEAN := false;
  head_seq BIGINT; head_chain BYTEA; nul BYTEA := '\\x00'::BYTEA; details TEXT; entry TEXT; leaf BYTEA; chain BYTEA;
  new_seqs BIGINT[]; resolved INT;
BEGIN
  IF n = 0 THEN RETURN; END IF;
  -- Accounts named by the requests and by the holds they resolve, locked in id order.
  SELECT array_agg(DISTINCT x_id) INTO ids FROM (
    SELECT unnest(p_debit || p_credit) AS x_id
    UNION ALL SELECT unnest(ARRAY[lh.debit_account_id, lh.credit_account_id])
      FROM ledger_holds lh WHERE lh.seq = ANY(p_hold)
  ) named WHERE x_id IS NOT NULL;
  SELECT coalesce(array_agg(l.id ORDER BY l.id), '{}'), array_agg(l.currency ORDER BY l.id),
         array_agg(l.allow_negative = 1 ORDER BY l.id), array_agg(l.status = 'open' ORDER BY l.id),
         array_agg(l.debits_posted ORDER BY l.id), array_agg(l.credits_posted ORDER BY l.id),
         array_agg(l.debits_pending ORDER BY l.id), array_agg(l.credits_pending ORDER BY l.id)
    INTO a_id, a_cur, a_neg, a_open, dp, cp, dpe, cpe
    FROM (SELECT la.* FROM ledger_accounts la WHERE la.id = ANY(ids) ORDER BY la.id FOR UPDATE) l;
  a_touched := array_fill(false, ARRAY[greatest(cardinality(a_id), 1)]);
  -- Holds named by post/void/expire legs, locked in seq order (none: nothing to ask).
  h_seq := '{}';
  IF cardinality(array_remove(p_hold, NULL)) > 0 THEN
  SELECT coalesce(array_agg(l.seq ORDER BY l.seq), '{}'), array_agg(l.amount ORDER BY l.seq),
         array_agg(l.currency ORDER BY l.seq),
         array_agg(CASE l.state WHEN 'pending' THEN 0 WHEN 'posted' THEN 1 WHEN 'voided' THEN 2 ELSE 3 END
                   ORDER BY l.seq),
         array_agg(coalesce(l.expires_at, 0) ORDER BY l.seq), array_agg(l.expires_at IS NOT NULL ORDER BY l.seq),
         array_agg(coalesce(ad.i, 0)::INT ORDER BY l.seq), array_agg(coalesce(ac.i, 0)::INT ORDER BY l.seq)
    INTO h_seq, h_amt, h_cur, h_state, h_exp, h_has_exp, h_d, h_c
    FROM (SELECT lh.* FROM ledger_holds lh WHERE lh.seq = ANY(p_hold) ORDER BY lh.seq FOR UPDATE) l
    LEFT JOIN unnest(a_id) WITH ORDINALITY ad(id, i) ON ad.id = l.debit_account_id
    LEFT JOIN unnest(a_id) WITH ORDINALITY ac(id, i) ON ac.id = l.credit_account_id;
  END IF;
  h_by := array_fill(0, ARRAY[greatest(cardinality(h_seq), 1)]);
  SELECT coalesce(array_agg(t.seq), '{}'), array_agg(t.idempotency_key), array_agg(t.request_hash), array_agg(t.kind),
         array_agg(t.debit_account_id), array_agg(t.credit_account_id), array_agg(t.amount), array_agg(t.currency),
         array_agg(t.hold_seq), array_agg(t.reference), array_agg(t.created_at)
    INTO e_seq, e_key, e_hash, e_kind, e_d, e_c, e_amt, e_cur, e_hold, e_ref, e_at
    FROM ledger_transfers t WHERE t.idempotency_key = ANY(p_key);
  -- Per leg: indexes into the arrays above (0: none), the previous leg with the same key, the amount.
  SELECT array_agg(CASE r.kind WHEN 'single' THEN 1 WHEN 'hold' THEN 2 WHEN 'post' THEN 3 WHEN 'void' THEN 4 ELSE 5 END
                   ORDER BY r.o),
         array_agg(coalesce(ad.i, 0)::INT ORDER BY r.o), array_agg(coalesce(ac.i, 0)::INT ORDER BY r.o),
         array_agg(coalesce(hh.i, 0)::INT ORDER BY r.o), array_agg(coalesce(ee.i, 0)::INT ORDER BY r.o),
         array_agg(coalesce(r.pv, 0)::INT ORDER BY r.o),
         array_agg(CASE WHEN r.amt > 0 AND r.amt <= 9223372036854775807 THEN r.amt::BIGINT ELSE 0 END ORDER BY r.o),
         array_agg(r.amt IS NULL OR (r.amt > 0 AND r.amt <= 9223372036854775807) ORDER BY r.o),
         array_agg(r.amt IS NOT NULL ORDER BY r.o)
    INTO k, li_d, li_c, li_h, li_e, prev, amt, amt_ok, amt_given
    FROM (SELECT q.*, lag(q.o) OVER (PARTITION BY q.key ORDER BY q.o) AS pv
            FROM unnest(p_key, p_kind, p_debit, p_credit, p_hold, p_amount)
                 WITH ORDINALITY q(key, kind, d, c, h, amt, o)) r
    LEFT JOIN unnest(a_id) WITH ORDINALITY ad(id, i) ON ad.id = r.d
    LEFT JOIN unnest(a_id) WITH ORDINALITY ac(id, i) ON ac.id = r.c
    LEFT JOIN unnest(h_seq) WITH ORDINALITY hh(seq, i) ON hh.seq = r.h
    LEFT JOIN unnest(e_key) WITH ORDINALITY ee(key, i) ON ee.key = r.key;
  v := array_fill(0, ARRAY[n]); v_of := array_fill(0, ARRAY[n]);
  v_code := array_fill(NULL::TEXT, ARRAY[n]); v_detail := array_fill(NULL::TEXT, ARRAY[n]);
  t_d := array_fill(0, ARRAY[n]); t_c := array_fill(0, ARRAY[n]); t_amt := array_fill(0::BIGINT, ARRAY[n]);
  t_cur := array_fill(NULL::TEXT, ARRAY[n]); t_hold := array_fill(NULL::BIGINT, ARRAY[n]);
  t_exp := array_fill(NULL::BIGINT, ARRAY[n]); t_seq := array_fill(0::BIGINT, ARRAY[n]);

  u := 1;
  WHILE u <= n LOOP
    u_end := u;
    WHILE u_end < n AND p_unit[u_end + 1] = p_unit[u] LOOP u_end := u_end + 1; END LOOP;
    IF u_end > u THEN
      s_dp := dp; s_cp := cp; s_dpe := dpe; s_cpe := cpe; s_state := h_state; s_by := h_by;
    END IF;
    failed := 0;
    FOR i IN u..u_end LOOP
      code := NULL;
      -- decideOne: an idempotency key seen before answers for the request.
      earlier_hash := NULL;
      x := 0;
      IF li_e[i] > 0 THEN
        earlier_hash := e_hash[li_e[i]];
      ELSE
        j := prev[i];
        WHILE j > 0 LOOP
          IF v[j] = 1 THEN x := j; earlier_hash := p_hash[j]; EXIT; END IF;
          j := prev[j];
        END LOOP;
      END IF;
      IF earlier_hash IS NOT NULL THEN
        IF earlier_hash <> p_hash[i] THEN
          code := 'idempotency_conflict'; detail := 'this idempotency key was used for a different request';
        ELSIF x = 0 THEN v[i] := 2; v_of[i] := li_e[i]; any_replayed := true; CONTINUE;
        ELSE v[i] := 3; v_of[i] := x; any_replayed := true; CONTINUE;
        END IF;
      ELSIF k[i] <= 2 THEN
        -- decideMovement
        d := li_d[i]; c := li_c[i];
        IF NOT amt_ok[i] OR NOT amt_given[i] THEN
          code := 'invalid_amount'; detail := 'the amount must be a positive 64-bit integer of minor units';
        ELSIF p_debit[i] = p_credit[i] THEN code := 'same_account'; detail := 'debit and credit accounts are the same';
        ELSIF d = 0 THEN code := 'account_not_found'; detail := 'debit account not found';
        ELSIF c = 0 THEN code := 'account_not_found'; detail := 'credit account not found';
        ELSIF NOT a_open[d] OR NOT a_open[c] THEN
          code := 'account_closed'; detail := 'an account of this transfer is closed';
        ELSIF a_cur[d] <> p_currency[i] OR a_cur[c] <> p_currency[i] THEN
          code := 'currency_mismatch';
          detail := format('accounts are %s/%s, amount is %s', a_cur[d], a_cur[c], p_currency[i]);
        ELSIF NOT a_neg[d] AND cp[d] - dp[d] - dpe[d] < amt[i] THEN
          code := 'insufficient_funds'; detail := 'the debit account lacks the available balance';
        ELSE
          IF k[i] = 1 THEN dp[d] := dp[d] + amt[i]; cp[c] := cp[c] + amt[i];
          ELSE dpe[d] := dpe[d] + amt[i]; cpe[c] := cpe[c] + amt[i];
          END IF;
          v[i] := 1; t_d[i] := d; t_c[i] := c; t_amt[i] := amt[i]; t_cur[i] := p_currency[i];
          IF k[i] = 2 AND p_timeout[i] IS NOT NULL THEN t_exp[i] := p_now + p_timeout[i]; END IF;
        END IF;
      ELSE
        -- decideResolution
        h := li_h[i];
        IF h = 0 THEN code := 'hold_not_found'; detail := 'no hold ' || p_hold[i];
        ELSIF h_state[h] = 3 THEN code := 'hold_expired'; detail := 'the hold has expired';
        ELSIF h_state[h] <> 0 THEN
          code := 'hold_not_pending'; detail := 'the hold is ' || (ARRAY['posted', 'voided', 'expired'])[h_state[h]];
        ELSIF k[i] = 3 AND h_has_exp[h] AND h_exp[h] <= p_now THEN
          code := 'hold_expired'; detail := 'the hold has expired';
        ELSIF k[i] = 5 AND NOT (h_has_exp[h] AND h_exp[h] <= p_now) THEN
          code := 'hold_not_pending'; detail := 'the hold has not lapsed yet';
        ELSE
          a := CASE WHEN k[i] = 3 AND amt_given[i] THEN amt[i] ELSE h_amt[h] END;
          IF k[i] = 3 AND NOT amt_ok[i] THEN
            code := 'invalid_amount'; detail := 'the amount must be a positive 64-bit integer of minor units';
          ELSIF a > h_amt[h] THEN code := 'post_exceeds_hold'; detail := 'the amount to post exceeds the amount held';
          ELSE
            d := h_d[h]; c := h_c[h];
            IF d = 0 OR c = 0 THEN
              RAISE EXCEPTION 'ledger invariant: hold % names an account that was not loaded', h_seq[h];
            END IF;
            dpe[d] := dpe[d] - h_amt[h]; cpe[c] := cpe[c] - h_amt[h];
            IF k[i] = 3 THEN dp[d] := dp[d] + a; cp[c] := cp[c] + a; END IF;
            h_state[h] := k[i] - 2; h_by[h] := i;
            v[i] := 1; t_d[i] := d; t_c[i] := c; t_amt[i] := a; t_cur[i] := h_cur[h]; t_hold[i] := h_seq[h];
          END IF;
        END IF;
      END IF;
      IF code IS NOT NULL THEN
        v[i] := 4; v_code[i] := code; v_detail[i] := detail;
        IF u_end > u THEN failed := i; EXIT; END IF;
      END IF;
    END LOOP;
    IF failed > 0 THEN
      -- decideLinked: the unit applies all or none; the working copy goes back to before it.
      dp := s_dp; cp := s_cp; dpe := s_dpe; cpe := s_cpe; h_state := s_state; h_by := s_by;
      FOR i IN u..u_end LOOP
        IF i <> failed THEN
          v[i] := 4; v_code[i] := 'linked_transfer_failed';
          v_detail[i] := format('leg %s of the linked transfers was refused', failed - u);
        END IF;
      END LOOP;
    END IF;
    u := u_end + 1;
  END LOOP;

  FOR i IN 1..n LOOP
    IF v[i] = 1 THEN any_applied := true; a_touched[t_d[i]] := true; a_touched[t_c[i]] := true; END IF;
  END LOOP;
  IF any_applied THEN
    -- The journal, in leg order; the seqs come back by key (unique).
    WITH ins AS (
      INSERT INTO ledger_transfers (idempotency_key, request_hash, kind, debit_account_id, credit_account_id, amount,
                                    currency, hold_seq, reference, created_at)
      SELECT p_key[o], p_hash[o], p_kind[o], a_id[t_d[o]], a_id[t_c[o]], t_amt[o], t_cur[o], t_hold[o], p_reference[o],
             p_now
        FROM generate_series(1, n) o WHERE v[o] = 1 ORDER BY o
      RETURNING seq, idempotency_key
    )
    SELECT array_agg(coalesce(ins.seq, 0) ORDER BY q.o) INTO t_seq
      FROM unnest(p_key, v) WITH ORDINALITY q(key, verdict, o)
      LEFT JOIN ins ON ins.idempotency_key = q.key AND q.verdict = 1;
    IF 2 = ANY(k) THEN
    INSERT INTO ledger_holds (seq, debit_account_id, credit_account_id, amount, currency, state, expires_at)
      SELECT t_seq[o], a_id[t_d[o]], a_id[t_c[o]], t_amt[o], t_cur[o], 'pending', t_exp[o]
        FROM generate_series(1, n) o WHERE v[o] = 1 AND k[o] = 2;
    END IF;
    IF cardinality(h_seq) > 0 THEN
    UPDATE ledger_holds lh SET state = (ARRAY['posted', 'voided', 'expired'])[h_state[o]], resolved_seq = t_seq[h_by[o]]
      FROM generate_series(1, cardinality(h_seq)) o
     WHERE h_by[o] > 0 AND lh.seq = h_seq[o] AND lh.state = 'pending';
    GET DIAGNOSTICS resolved = ROW_COUNT;
    IF resolved <> (SELECT count(*) FROM unnest(h_by) b WHERE b > 0) THEN
      RAISE EXCEPTION 'ledger invariant: a resolved hold was not pending';
    END IF;
    END IF;
    UPDATE ledger_accounts la
       SET debits_posted = u.dp, credits_posted = u.cp, debits_pending = u.dpe, credits_pending = u.cpe
      FROM unnest(a_id, dp, cp, dpe, cpe, a_touched) AS u(id, dp, cp, dpe, cpe, touched)
     WHERE u.touched AND la.id = u.id;
    IF p_audit THEN
      -- The batch's ledger.postings entry (journal-digest.ts), hashed as src/audit does. Last: the head is locked last.
      SELECT array_agg(t_seq[o] ORDER BY t_seq[o]) INTO new_seqs FROM generate_series(1, n) o WHERE v[o] = 1;
      SELECT ah.seq, ah.chain_hash INTO head_seq, head_chain FROM audit_head ah WHERE ah.id = 1 FOR UPDATE;
      IF NOT FOUND THEN RAISE EXCEPTION 'audit invariant: the audit_head row is missing'; END IF;
      SELECT format('{"count":%s,"digest":"%s","seqs":"%s"}', cardinality(new_seqs),
               (SELECT encode(sha256(string_agg(
                   convert_to(t_seq[o]::TEXT, 'UTF8') || nul || convert_to(p_key[o], 'UTF8') || nul
                   || convert_to(p_kind[o], 'UTF8') || nul || convert_to(a_id[t_d[o]], 'UTF8') || nul
                   || convert_to(a_id[t_c[o]], 'UTF8') || nul || convert_to(t_amt[o]::TEXT, 'UTF8') || nul
                   || convert_to(t_cur[o], 'UTF8') || nul || convert_to(coalesce(t_hold[o]::TEXT, ''), 'UTF8') || nul
                   || convert_to(coalesce(p_reference[o], ''), 'UTF8') || nul || convert_to(p_now::TEXT, 'UTF8')
                   || '\\x0a'::BYTEA, ''::BYTEA ORDER BY t_seq[o])), 'hex')
                  FROM generate_series(1, n) o WHERE v[o] = 1),
               (SELECT string_agg(lo || '-' || hi, ',' ORDER BY lo) FROM (
                  SELECT min(s) AS lo, max(s) AS hi
                    FROM (SELECT s, s - row_number() OVER (ORDER BY s) AS g FROM unnest(new_seqs) s) runs
                   GROUP BY g) ranges))
        INTO details;
      entry := format('{"v":1,"seq":%s,"time":%s,"actorType":"system","actorId":"ledger","device":null,"ip":null,'
                      || '"action":"ledger.postings","target":null,"outcome":"success","details":%s}',
                      head_seq + 1, p_now, details);
      leaf := sha256('\\x00'::BYTEA || convert_to(entry, 'UTF8'));
      chain := sha256(coalesce(head_chain, decode(repeat('00', 32), 'hex')) || leaf);
      INSERT INTO audit_entries (seq, at, actor_type, actor_id, device, ip, action, target, outcome, details, leaf_hash,
                                 chain_hash)
        VALUES (head_seq + 1, p_now, 'system', 'ledger', NULL, NULL, 'ledger.postings', NULL, 'success', details, leaf,
                chain);
      UPDATE audit_head SET seq = head_seq + 1, chain_hash = chain WHERE id = 1;
    END IF;
  END IF;
  -- A replay answers from a row another transaction wrote: taking a transaction id makes this
  -- statement's commit wait for the synchronous standby to hold everything up to it (postgres-batch.ts).
  IF any_replayed THEN PERFORM pg_current_xact_id(); END IF;

  RETURN QUERY
    SELECT o::INT,
           CASE v[o] WHEN 1 THEN 'applied' WHEN 4 THEN 'refused' ELSE 'replayed' END,
           v_code[o], v_detail[o],
           CASE v[o] WHEN 1 THEN t_seq[o] WHEN 2 THEN e_seq[v_of[o]] WHEN 3 THEN t_seq[v_of[o]] END,
           p_key[o],
           CASE v[o] WHEN 1 THEN p_kind[o] WHEN 2 THEN e_kind[v_of[o]] WHEN 3 THEN p_kind[v_of[o]] END,
           CASE v[o] WHEN 1 THEN a_id[t_d[o]] WHEN 2 THEN e_d[v_of[o]] WHEN 3 THEN a_id[t_d[v_of[o]]] END,
           CASE v[o] WHEN 1 THEN a_id[t_c[o]] WHEN 2 THEN e_c[v_of[o]] WHEN 3 THEN a_id[t_c[v_of[o]]] END,
           CASE v[o] WHEN 1 THEN t_amt[o] WHEN 2 THEN e_amt[v_of[o]] WHEN 3 THEN t_amt[v_of[o]] END,
           CASE v[o] WHEN 1 THEN t_cur[o] WHEN 2 THEN e_cur[v_of[o]] WHEN 3 THEN t_cur[v_of[o]] END,
           CASE v[o] WHEN 1 THEN t_hold[o] WHEN 2 THEN e_hold[v_of[o]] WHEN 3 THEN t_hold[v_of[o]] END,
           CASE v[o] WHEN 1 THEN p_reference[o] WHEN 2 THEN e_ref[v_of[o]] WHEN 3 THEN p_reference[v_of[o]] END,
           CASE v[o] WHEN 1 THEN p_now WHEN 2 THEN e_at[v_of[o]] WHEN 3 THEN p_now END
      FROM generate_series(1, n) o ORDER BY o;
END
$fn$
`,
};
