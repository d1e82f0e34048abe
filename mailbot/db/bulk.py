"""Writing a session's new rows with one executemany per table, outside the ORM's unit of work.

A batch of new reports leaves about nine new objects per mail in the session
(the ticket, its messages, events, clock, participant, the acknowledgement in
the outbox). The unit of work's flush of them cost a quarter of intake's CPU:
per object it works out the dependencies, syncs the foreign keys from the
relationships, collects the parameters and finalizes the state, all in Python.
``write_new`` does only what these rows need: the foreign keys from their
many-to-one relationships, the columns' Python defaults, one INSERT per table
in dependency order, and then the objects are made persistent the way a flush
ends, with a private step of SQLAlchemy's Session (``_register_persistent``).
The public way (expunge, then add again) cascades along every relationship and
cost as much as the flush it saved.
``tests/integration/test_batch_intake.py`` holds the result to the one-mail-
at-a-time way's, table by table, and checks that this way ran; should a later
SQLAlchemy change that step, the error sends the batch down the savepoint-
per-mail way, which is slower and just as right.

It takes the simple case only, and says so (False) otherwise, for the caller to
flush as before: every new object already carries its primary key
(``pipeline.batch`` gives them on SQLite), no object is changed or deleted, one
table per class, and only scalar or plain-callable defaults.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.interfaces import MANYTOONE


def write_new(session: Session) -> bool:
    """Insert ``session.new`` table by table; False (nothing done) when a flush must do it."""
    if not session.new or session.dirty or session.deleted:
        return False
    # In the order they were added, as the unit of work writes them (a row may point at one before it).
    states = sorted((instance_state(obj) for obj in session.new), key=lambda state: state.insert_order)
    by_table = defaultdict(list)
    for state in states:
        mapper = state.mapper
        if mapper.inherits is not None or len(mapper.tables) != 1:
            return False
        by_table[mapper.local_table].append(state)
    plans = {table: _plan(by_table[table][0].mapper, table) for table in by_table}
    if any(plan is None for plan in plans.values()):
        return False
    # Foreign keys first, from the objects the relationships point at (their keys are set).
    for state in states:
        values = state.dict
        for prop, pairs in plans[state.mapper.local_table][1]:
            target = values.get(prop.key)
            if target is None:
                continue
            target_state = instance_state(target)
            target_values = target_state.dict
            for local_key, remote_key in pairs(target_state.mapper):
                value = target_values.get(remote_key)
                if value is None:
                    return False  # the row it points at has no key yet: the unit of work orders that
                values[local_key] = value
    rows = {}
    for table, table_states in by_table.items():
        columns, _relations = plans[table]
        table_rows = []
        for state in table_states:
            values, row = state.dict, {}
            for column_key, attr_key, default in columns:
                if attr_key in values:
                    row[column_key] = values[attr_key]
                else:
                    row[column_key] = values[attr_key] = default() if callable(default) else default
            table_rows.append(row)
        if any(row[pk.key] is None for pk in table.primary_key for row in table_rows):
            return False
        rows[table] = table_rows
    connection = session.connection()
    for table in next(iter(rows)).metadata.sorted_tables:
        if table in rows:
            connection.execute(table.insert(), rows[table])
    # As a flush leaves them: what they hold is their loaded state; persistent, in the identity map.
    session._register_persistent(set(states))  # commits what each holds, and tells the transaction
    return True


_PLANS: dict = {}


def _plan(mapper, table):
    """(columns, relations) of a mapped table, worked out once; None when ``write_new`` cannot do it.

    columns: (column key, attribute key, default value or zero-argument callable);
    relations: (many-to-one relationship, pairs(target mapper) -> (local key, remote key)).
    """
    key = (mapper, table)
    if key not in _PLANS:
        _PLANS[key] = _make_plan(mapper, table)
    return _PLANS[key]


def _make_plan(mapper, table):
    columns = []
    for column in table.columns:
        attr = mapper.get_property_by_column(column)
        default = column.default
        if default is None and column.server_default is not None:
            return None  # the database's own default: only an INSERT without the column gets it
        if default is None:
            value = None
        elif default.is_scalar:
            value = default.arg
        elif default.is_callable:
            value = _no_context(default.arg)
        else:
            return None  # a sequence or a SQL expression: the unit of work knows how
        columns.append((column.key, attr.key, value))
    relations = []
    for prop in mapper.relationships:
        if prop.direction is not MANYTOONE or prop.secondary is not None:
            continue
        pairs = [(mapper.get_property_by_column(local).key, remote) for local, remote in prop.local_remote_pairs]

        def keys(target_mapper, pairs=pairs):
            return [(local, target_mapper.get_property_by_column(remote).key) for local, remote in pairs]

        relations.append((prop, keys))
    return columns, relations


def _no_context(fn):
    # SQLAlchemy wraps a plain callable default (``list``, ``dict``, ``utcnow``) into one that takes
    # the execution context, which it ignores.
    return lambda: fn(None)
