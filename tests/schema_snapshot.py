"""A text snapshot of every object our migrations and db/functions create, for comparisons."""

from __future__ import annotations

import asyncpg

SNAPSHOT_SQL = """
with ours as (
    select oid, nspname from pg_namespace
    where nspname not in ('pg_catalog', 'information_schema') and nspname not like 'pg\\_%'
)
select kind, name, definition from (
    select 'function' as kind,
           o.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as name,
           pg_get_functiondef(p.oid) || coalesce(' -- ' || obj_description(p.oid, 'pg_proc'), '') as definition
    from pg_proc p join ours o on o.oid = p.pronamespace
    where p.prokind in ('f', 'p', 'w')
    union all
    select 'view', schemaname || '.' || viewname, definition from pg_views
    where schemaname in (select nspname from ours)
    union all
    select 'matview', schemaname || '.' || matviewname, definition from pg_matviews
    where schemaname in (select nspname from ours)
    union all
    select 'matview index', o.nspname || '.' || c.relname, pg_get_indexdef(i.indexrelid)
    from pg_index i join pg_class m on m.oid = i.indrelid join pg_class c on c.oid = i.indexrelid
    join ours o on o.oid = m.relnamespace
    where m.relkind = 'm'
    union all
    select 'trigger', c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid)
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join ours o on o.oid = c.relnamespace
    where not t.tgisinternal
    union all
    select 'column', table_schema || '.' || table_name || '.' || column_name,
           data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
    from information_schema.columns where table_schema in (select nspname from ours)
    union all
    select 'index', schemaname || '.' || indexname, indexdef from pg_indexes
    where schemaname in (select nspname from ours)
    union all
    select 'constraint', o.nspname || '.' || c.conname, pg_get_constraintdef(c.oid)
    from pg_constraint c join ours o on o.oid = c.connamespace
) objects
order by kind, name
"""


async def snapshot(conn: asyncpg.Connection) -> dict[str, str]:
    rows = await conn.fetch(SNAPSHOT_SQL)
    return {f"{r['kind']} {r['name']}": r["definition"] for r in rows}


async def functions_only(conn: asyncpg.Connection) -> dict[str, str]:
    snap = await snapshot(conn)
    return {
        k: v
        for k, v in snap.items()
        if k.split(" ", 1)[0] in ("function", "view", "matview", "trigger") or k.startswith("matview index ")
    }
