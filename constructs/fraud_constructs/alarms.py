"""CloudWatch alarms that all notify one topic (on ALARM and OK), and one dashboard.

The construct knows no application: the caller passes the alarms as data (:class:`AlarmSpec`,
so tests and runbooks can read the same list) and the dashboard's body (:func:`metric_widget`
builds its widgets). Each alarm's description ends with a link to its runbook entry when a
``runbook`` is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from constructs import Construct

from fraud_constructs.aws_context import AwsContext
from fraud_constructs.overrides import apply_overrides


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm, as data. Its ``name`` is also its construct id: keep it stable."""

    name: str
    runbook_anchor: str
    summary: str
    namespace: str
    metric_name: str
    dimensions: Mapping[str, str]
    threshold: float
    comparison: str = "GreaterThanThreshold"
    statistic: str | None = "Sum"
    extended_statistic: str | None = None
    period: int = 300
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "notBreaching"
    """Default: notBreaching (most AWS metrics are published only when non-zero)."""


@dataclass(frozen=True)
class AlarmsProps:
    """Props of :class:`Alarms`."""

    topic_arn: str
    """Alarm and OK actions of every alarm."""
    alarms: Sequence[AlarmSpec]
    """The alarms, in a stable order (names must be unique)."""
    dashboard_name: str
    """Dashboard name."""
    dashboard_body: str
    """Dashboard JSON (``{"widgets": [...]}``; :func:`metric_widget` builds one widget)."""
    runbook: str | None = None
    """Runbook path or URL; each description ends with ``Runbook: <runbook>#<anchor>``. Default: None."""
    overrides: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    """Escape hatch: ``add_override`` paths per alarm name (``"dashboard"`` for the dashboard). Default: none."""

    def __post_init__(self) -> None:
        names = [spec.name for spec in self.alarms]
        if len(set(names)) != len(names):
            raise ValueError("AlarmsProps.alarms: alarm names must be unique")


class Alarms(Construct):
    """Exposes ``specs``, ``alarms`` (name -> CloudwatchMetricAlarm) and ``dashboard``."""

    def __init__(self, scope: Construct, construct_id: str, *, aws: AwsContext, props: AlarmsProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.specs = list(props.alarms)
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        for spec in self.specs:
            runbook = f". Runbook: {props.runbook}#{spec.runbook_anchor}" if props.runbook else ""
            self.alarms[spec.name] = CloudwatchMetricAlarm(
                self,
                spec.name,
                alarm_name=spec.name,
                alarm_description=f"{spec.summary}{runbook}",
                namespace=spec.namespace,
                metric_name=spec.metric_name,
                dimensions=dict(spec.dimensions),
                statistic=spec.statistic,
                extended_statistic=spec.extended_statistic,
                period=spec.period,
                evaluation_periods=spec.evaluation_periods,
                datapoints_to_alarm=spec.datapoints_to_alarm,
                threshold=spec.threshold,
                comparison_operator=spec.comparison,
                treat_missing_data=spec.treat_missing_data,
                alarm_actions=[props.topic_arn],
                ok_actions=[props.topic_arn],
            )
            apply_overrides(self.alarms[spec.name], props.overrides.get(spec.name, {}))
        self.dashboard = CloudwatchDashboard(
            self, "dashboard", dashboard_name=props.dashboard_name, dashboard_body=props.dashboard_body
        )
        apply_overrides(self.dashboard, props.overrides.get("dashboard", {}))

    @property
    def dashboard_name(self) -> str:
        return self.dashboard.dashboard_name


def metric_widget(title: str, metrics: list[list[object]], region: str, x: int, y: int, stat: str = "Sum") -> dict:
    """A 12x6 metric widget over 5-minute periods (``metrics`` rows as in the dashboard JSON)."""
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {"title": title, "metrics": metrics, "region": region, "stat": stat, "period": 300},
    }
