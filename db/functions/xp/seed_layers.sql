-- drop: drop function if exists xp.seed_layers();
-- The ten layers of product.md (upsert by code), then every user's layers are recomputed.
create or replace function xp.seed_layers()
returns integer
language plpgsql
volatile
as $$
declare
    v_count integer;
begin
    insert into xp.layers as l (code, name, mode, min_level, position)
    values
        ('RL0', 'Base', 'reality', 1, 0),
        ('RL1', 'Emotion', 'reality', 5, 1),
        ('RL2', 'Flow', 'reality', 15, 2),
        ('RL3', 'Core', 'reality', 30, 3),
        ('RLX', 'Ultra', 'reality', 60, 4),
        ('CL0', 'Surface-Web', 'cyber', 1, 0),
        ('CL1', 'DeepNet', 'cyber', 5, 1),
        ('CL2', 'Dark-Code', 'cyber', 15, 2),
        ('CL3', 'Synthetic', 'cyber', 30, 3),
        ('CLX', 'Void', 'cyber', 60, 4)
    on conflict (code) do update set
        name = excluded.name, mode = excluded.mode, min_level = excluded.min_level, position = excluded.position;
    get diagnostics v_count = row_count;
    perform xp.recompute_levels();
    return v_count;
end;
$$;
