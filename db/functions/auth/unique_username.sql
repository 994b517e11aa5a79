-- drop: drop function if exists auth.unique_username(text);
-- A free username derived from a hint (an e-mail local part, a provider login): lowercased,
-- reduced to [a-z0-9_.-], 3..24 characters, with a numeric suffix when taken.
create or replace function auth.unique_username(p_hint text)
returns text
language plpgsql
volatile
as $$
declare
    v_base text := left(regexp_replace(lower(coalesce(p_hint, '')), '[^a-z0-9_.-]+', '', 'g'), 24);
    v_candidate text;
    v_try integer := 0;
begin
    if char_length(v_base) < 3 then
        v_base := rpad(coalesce(nullif(v_base, ''), 'user'), 4, '0');
    end if;
    v_candidate := v_base;
    loop
        exit when not exists (select 1 from app.users where lower(username) = v_candidate);
        v_try := v_try + 1;
        v_candidate := left(v_base, 24) || (floor(random() * 9000) + 1000)::int::text;
        if v_try > 20 then
            v_candidate := left(v_base, 16) || substr(md5(random()::text), 1, 8);
        end if;
    end loop;
    return v_candidate;
end;
$$;
