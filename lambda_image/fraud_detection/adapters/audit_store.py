"""The audit bucket (S3): whole-object puts and reads, nothing else.

Every object we write is built completely in memory and written with one PutObject, so a
failure leaves either the previous version or nothing, never a partial object.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AuditStore:
    client: Any  # botocore S3 client
    bucket: str

    def put(self, key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        extra = {"ContentEncoding": content_encoding} if content_encoding else {}
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, **extra)

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under ``prefix`` (paginated: a day holds 288 analyses, a listing page 1000)."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                yield entry["Key"]

    def get_json(self, key: str) -> Any:
        response = self.client.get_object(Bucket=self.bucket, Key=key)
        return json.loads(response["Body"].read())
