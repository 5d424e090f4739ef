"""The audit bucket (S3): whole-object puts and reads, nothing else.

Every object we write is built completely in memory and written with one PutObject, so a
failure leaves either the previous version or nothing, never a partial object.

Every PutObject names its checksum algorithm (SHA-256): a bucket with an Object Lock default
retention refuses a PutObject that carries neither ``Content-MD5`` nor an
``x-amz-sdk-checksum-algorithm`` (Amazon S3 User Guide, "Configuring S3 Object Lock"; the SDK's
default CRC32 is a setting of the client, not of this code, so it is not relied on).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

CHECKSUM_ALGORITHM = "SHA256"
KEY_EXISTS = "PreconditionFailed"
"""A conditional put's answer when the key exists (412)."""
CREATE_IN_FLIGHT = "ConditionalRequestConflict"
"""A conditional put's answer while another request is creating the same key (409): the object may not be
readable yet (Amazon S3 User Guide, "How to prevent object overwrites with conditional writes")."""
ALREADY_WRITTEN = frozenset({KEY_EXISTS, CREATE_IN_FLIGHT})
Created = Literal["written", "exists", "in_flight"]


@dataclass(frozen=True)
class AuditStore:
    client: Any  # botocore S3 client
    bucket: str

    def put(self, key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        extra = {"ContentEncoding": content_encoding} if content_encoding else {}
        self._put_object(key, body, content_type, **extra)

    def put_if_absent(self, key: str, body: bytes, content_type: str) -> bool:
        """A PutObject with ``If-None-Match: *``: True when written, False when the key already exists or is
        being created (S3 conditional writes: no read permission needed, no race between a check and the write)."""
        return self.create(key, body, content_type) == "written"

    def create(self, key: str, body: bytes, content_type: str) -> Created:
        """``put_if_absent`` telling "exists" (412: readable now) from "in_flight" (409: a concurrent create of
        the same key, perhaps not readable yet; and a GetObject of a missing key is a 403, not a 404, to a role
        without ``s3:ListBucket``: Amazon S3 API Reference, "GetObject"), for a caller that reads it back."""
        try:
            self._put_object(key, body, content_type, IfNoneMatch="*")
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == KEY_EXISTS:
                return "exists"
            if code == CREATE_IN_FLIGHT:
                return "in_flight"
            raise
        return "written"

    def _put_object(self, key: str, body: bytes, content_type: str, **extra: str) -> None:
        """One PutObject with the checksum every audit-bucket write sends (Object Lock requires one)."""
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            ChecksumAlgorithm=CHECKSUM_ALGORITHM,
            **extra,
        )

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under ``prefix`` (paginated: a day holds 288 analyses, a listing page 1000)."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                yield entry["Key"]

    def get_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def get_json(self, key: str) -> Any:
        response = self.client.get_object(Bucket=self.bucket, Key=key)
        return json.loads(response["Body"].read())
