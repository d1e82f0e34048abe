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
    # Nothing is written into the objects until every row has passed: a False leaves them as they
    # were, for the flush.
    fills = []  # per state: the foreign keys its relationships give, and the defaults it gets
    rows = {table: [] for table in by_table}  # table -> runs of rows with the same columns, in order
    for state in states:
        values, fill = state.dict, {}
        columns, relations = plans[state.mapper.local_table]
        for prop, pairs in relations:
            if prop.key not in values:
                continue
            target = values[prop.key]
            if target is None:  # set to None on purpose: the flush clears the key
                fill.update((local_key, None) for local_key, _ in pairs)
                continue
            target_state = instance_state(target)
            if target_state.session_id != state.session_id:
                continue  # not in this session: the flush leaves the key alone (and warns)
            for local_key, remote_key in pairs:
                value = target_state.dict.get(remote_key)
                if value is None:
                    return False  # the row it points at has no key yet: the unit of work orders that
                fill[local_key] = value
        row = {}
        for column_key, attr_key, default, evaluates_none in columns:
            present = attr_key in fill or attr_key in values
            value = fill[attr_key] if attr_key in fill else values.get(attr_key)
            if present and value is None and not evaluates_none:
                present = False  # the flush leaves a None out: the column's default, or NULL
            if present:
                row[column_key] = value
            elif default is not _NONE:
                row[column_key] = fill[attr_key] = default() if callable(default) else default
            # else left out of the INSERT, as the flush leaves it: NULL (a JSON column: not 'null')
        if any(row.get(pk.key) is None for pk in state.mapper.local_table.primary_key):
            return False
        runs = rows[state.mapper.local_table]
        if runs and runs[-1][0].keys() == row.keys():
            runs[-1].append(row)
        else:  # a new run: the rows keep their order (a row may point at one of its table before it)
            runs.append([row])
        fills.append(fill)
    connection = session.connection()
    for table in next(iter(rows)).metadata.sorted_tables:
        for same_columns in rows.get(table, ()):
            connection.execute(table.insert(), same_columns)
    for state, fill in zip(states, fills, strict=True):
        state.dict.update(fill)
    # As a flush leaves them: what they hold is their loaded state; persistent, in the identity map.
    session._register_persistent(set(states))  # commits what each holds, and tells the transaction
    return True


_PLANS: dict = {}


def _plan(mapper, table):
    """(columns, relations) of a mapped table, worked out once; None when ``write_new`` cannot do it.

    columns: (column key, attribute key, default value or zero-argument callable or _NONE, whether
    None is a value of its type); relations: (many-to-one relationship, [(local key, remote key)]).
    """
    key = (mapper, table)
    if key not in _PLANS:
        _PLANS[key] = _make_plan(mapper, table)
    return _PLANS[key]


# No Python default: the column is left out of an INSERT that has no value for it.
_NONE = object()


def _make_plan(mapper, table):
    columns = []
    for column in table.columns:
        attr = mapper.get_property_by_column(column)
        default = column.default
        if default is None and column.server_default is not None:
            return None  # the database's own default: the flush reads it back after the INSERT
        if default is None:
            value = _NONE
        elif default.is_scalar:
            value = default.arg
        elif default.is_callable:
            value = _no_context(default.arg)
        else:
            return None  # a sequence or a SQL expression: the unit of work knows how
        # JSON keeps an explicit None as JSON null ('null'), as the flush does; other types take
        # it as no value.
        columns.append((column.key, attr.key, value, bool(column.type.should_evaluate_none)))
    relations = []
    for prop in mapper.relationships:
        if prop.direction is not MANYTOONE or prop.secondary is not None:
            continue
        target = prop.mapper
        if target.inherits is not None or target.polymorphic_on is not None:
            return None
        pairs = [
            (mapper.get_property_by_column(local).key, target.get_property_by_column(remote).key)
            for local, remote in prop.local_remote_pairs
        ]
        relations.append((prop, pairs))
    return columns, relations


def _no_context(fn):
    # SQLAlchemy wraps a plain callable default (``list``, ``dict``, ``utcnow``) into one that takes
    # the execution context, which it ignores.
    return lambda: fn(None)
