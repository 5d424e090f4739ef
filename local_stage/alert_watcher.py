"""Alerts on the local stage's log: a queue subscribed to the alert topic, read with long polls.

The stage subscribes two queues to the alert topic: this watcher's (every alert becomes one line on
the stage log, then is deleted) and the inbox that ``python -m fraud_ops.cli alerts`` reads. A long
poll (``WaitTimeSeconds``) asks the emulator once every few seconds at most, not once a second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fraud_ops.alert_queues import alert_of, describe_alert
from fraud_ops.dlq import message_from
from local_stage.background import BackgroundLoop


class AlertWatcher(BackgroundLoop):
    thread_name = "alert-watcher"

    def __init__(self, sqs: Any, queue_url: str, say: Callable[[str], None], wait_seconds: int = 5) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._say = say
        self._wait = wait_seconds
        self.join_seconds = wait_seconds + 5
        self._init_loop()
        self.seen = 0

    def poll_once(self, wait_seconds: int = 0) -> int:
        """One receive; one line per alert, then the message is deleted. Returns how many there were."""
        response = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds, MessageAttributeNames=["All"]
        )
        messages = response.get("Messages", [])
        for message in map(message_from, messages):
            self._say(describe_alert(alert_of(message.body), message.attributes))
            self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message.receipt_handle)
        self.seen += len(messages)
        return len(messages)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(self._wait)
            except Exception as error:  # the emulator going away at shutdown, a transient error: try again
                if self._stop.wait(self._wait):
                    return
                self._say(f"alert watcher error: {type(error).__name__}: {error}")
