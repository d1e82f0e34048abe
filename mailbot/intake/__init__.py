"""The doors that move bytes in (IMAP, LMTP) and the IMAP mailbox lease.

A door only moves bytes and hands them to the ``Pipeline``; the ``mailbot ingest`` pipe lives in ``cli``.
"""
