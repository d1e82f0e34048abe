import threading

import pytest

from mailbot.config import settings_from_dict
from mailbot.db.engine import make_engine, session_factory, upgrade
from mailbot.tickets.numbering import find_number, next_number

S = settings_from_dict({})


@pytest.mark.parametrize(
    "subject,seq",
    [
        ("[IMAGEN TI #IMG-000123] Equipo lento", 123),
        ("RE: [IMAGEN TI #IMG-000123] Equipo lento", 123),
        ("RV: [EXTERNAL] [IMAGEN TI #IMG-000123]Gracias", 123),
        ("Fwd: FW: [imagen ti #img-000045] x", 45),
        ("Re: #IMG-7", 7),
        ("factura IMG-000012 pendiente", None),
        ("IMG-000123", None),
        ("Sin número", None),
    ],
)
def test_find_number_in_subjects(subject, seq):
    assert find_number(S, subject) == seq


def test_numbers_are_unique_and_increasing_under_concurrency(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = session_factory(engine)
    got, lock = [], threading.Lock()

    def worker():
        for _ in range(25):
            with sessions.begin() as s:
                seq, number = next_number(s, S)
            with lock:
                got.append((seq, number))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    seqs = sorted(seq for seq, _ in got)
    assert seqs == list(range(1, 101))
    assert {n for _, n in got} == {f"IMG-{i:06d}" for i in range(1, 101)}
