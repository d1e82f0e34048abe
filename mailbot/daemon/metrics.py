"""Prometheus metrics of one mailbot process (prometheus-client, a registry per daemon).

This process's counters are fed by two hooks: the pipeline's ``after_commit``
(mails taken in, tickets opened) and the outbox sender's ``observer`` (mails
sent, send failures, acknowledgement latency). Figures that live in the
database (outbox backlog, oldest mail waiting for its acknowledgement,
escalations and SLA breaches, whoever made them) are read from the health
facts at scrape time, so every process reports the same truth for them.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from mailbot.pipeline.outcome import Action
from mailbot.vocab import MessageKind


class Metrics:
    """The registry, the hooks that feed its counters, and its exposition for ``/metrics``."""

    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.mails = Counter("mailbot_mails_received", "Mails taken in, by what became of them", ["kind"], registry=r)
        self.tickets = Counter("mailbot_tickets_opened", "Tickets opened, by severity", ["severity"], registry=r)
        self.ack_latency = Histogram(
            "mailbot_ack_latency_seconds",
            "From reception to the acknowledgement handed to the relay",
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
            registry=r,
        )
        self.sent = Counter("mailbot_outbox_sent", "Mails handed to the relay", ["kind"], registry=r)
        self.send_failures = Counter("mailbot_outbox_failures", "Send attempts that failed", ["permanent"], registry=r)

    # -- hooks ------------------------------------------------------------------
    def outcome(self, outcome) -> None:
        self.mails.labels(outcome.action).inc()
        if outcome.action == Action.CREATED and outcome.severity:
            self.tickets.labels(outcome.severity).inc()

    def mail_sent(self, kind: str, latency: float | None) -> None:
        self.sent.labels(kind).inc()
        if kind == MessageKind.ACK and latency is not None:
            self.ack_latency.observe(max(latency, 0.0))

    def send_failed(self, permanent: bool) -> None:
        self.send_failures.labels("true" if permanent else "false").inc()

    def summary(self) -> str:
        """This process's counts in one line: what ``run --once`` ends its log with."""
        mails = _by_label(self.mails)
        taken = sum(mails.values())
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(mails.items(), key=lambda kv: (-kv[1], kv[0])))
        sent = sum(_by_label(self.sent).values())
        failed = sum(_by_label(self.send_failures).values())
        return (
            f"{taken} mail{'' if taken == 1 else 's'} taken in{f' ({kinds})' if kinds else ''}, "
            f"{sent} sent, {failed} send attempt{'' if failed == 1 else 's'} failed"
        )

    def add_live(self, facts) -> None:
        """Gauges read when scraped: ``facts()`` returns the health facts dict."""
        self.registry.register(_LiveCollector(facts))

    def exposition(self) -> tuple[str, bytes]:
        """What ``/metrics`` serves: the content type and the text format of every metric."""
        return CONTENT_TYPE_LATEST, generate_latest(self.registry)


def _by_label(counter: Counter) -> dict[str, int]:
    return {
        next(iter(sample.labels.values())): int(sample.value)
        for metric in counter.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.value
    }


class _LiveCollector:
    def __init__(self, facts):
        self.facts = facts

    def collect(self):
        f = self.facts()
        yield _gauge("mailbot_up", "1 when the database is reachable", 1 if f["database"]["reachable"] else 0)
        yield _gauge("mailbot_outbox_queue", "Mails waiting to be sent", f["outbox"]["queued"])
        yield _gauge("mailbot_outbox_failed", "Mails that failed for good", f["outbox"]["failed"])
        yield _gauge(
            "mailbot_oldest_unacknowledged_seconds",
            "Age of the oldest acknowledgement still waiting to be sent",
            f["oldest_unacknowledged_seconds"] or 0,
        )
        esc = f.get("escalations") or {}
        # Read from the escalations table: the same totals from every process.
        yield CounterMetricFamily(
            "mailbot_sla_breaches", "Attention deadlines passed with no response", value=esc.get("sla_breaches", 0)
        )
        c = CounterMetricFamily("mailbot_escalations", "Escalations sent, by target kind", labels=["target"])
        for target in ("manager", "vendor"):
            c.add_metric([target], esc.get(target, 0))
        yield c
        imap = f.get("imap")
        if imap is not None:
            yield _gauge(
                "mailbot_imap_connected",
                "1 when this process has the IMAP session open",
                1 if imap["state"] in ("connected", "idle") else 0,
            )
            yield _gauge(
                "mailbot_imap_standby",
                "1 when another process holds the mailbox",
                1 if imap["state"] == "standby" else 0,
            )
            yield CounterMetricFamily(
                "mailbot_imap_reconnects", "IMAP reconnections since start", value=imap["reconnects"]
            )

    def describe(self):
        return []


def _gauge(name, doc, value):
    g = GaugeMetricFamily(name, doc)
    g.add_metric([], value)
    return g
