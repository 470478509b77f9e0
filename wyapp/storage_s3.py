"""The S3-compatible backend of storage.py (boto3): MinIO, Ceph RGW, AWS, 阿里云 OSS, 腾讯云 COS.

Imported only when WYAPP_STORAGE_URL names a bucket, so boto3 is needed only then
(`pip install 'wyapp[s3]'`).
"""
import base64
import hashlib
from datetime import UTC, datetime, timedelta

from flask import current_app

from .storage import (
    AlreadyStored,
    NotStored,
    StorageError,
    Stored,
    as_bytes,
    check_key,
    is_immutable,
)

# what S3-compatible stores answer to an If-None-Match PUT they do not support
NO_CONDITIONAL_PUT = ("NotImplemented", "501", "InvalidArgument", "InvalidRequest",
                      "NotSupported")


class S3Storage:
    """Objects in one bucket under a prefix, through boto3 (any S3-compatible service)."""

    kind = "s3"

    def __init__(self, bucket, prefix="", endpoint=None, region=None, addressing="auto",
                 retain_days=0, client=None):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.retain_days = int(retain_days or 0)
        self.conditional_put = True  # If-None-Match on PUT (AWS since 2024, MinIO, Ceph)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3", endpoint_url=endpoint or None, region_name=region or None,
                config=Config(s3={"addressing_style": addressing or "auto"},
                              retries={"max_attempts": 5, "mode": "standard"},
                              # S3-compatible stores (OSS, COS, older MinIO) refuse the
                              # newer default CRC checksums: send them only when required
                              request_checksum_calculation="when_required",
                              response_checksum_validation="when_required"))
        self.client = client

    def __repr__(self):
        return f"S3Storage(s3://{self.bucket}/{self.prefix})"

    def _name(self, key):
        return self.prefix + check_key(key)

    def _code(self, error):
        return error.response.get("Error", {}).get("Code", "") if hasattr(error, "response") \
            else ""

    def put(self, key, data, content_type="application/octet-stream", once=False):
        """Store bytes or a binary file object under `key` with its SHA-256 in the object's
        metadata. Raises AlreadyStored when `once` (always for archive keys) and the object
        exists: checked first, then `If-None-Match: *` closes the race where the service
        supports it; StorageError when the service refuses the write. Returns Stored."""
        body = as_bytes(data)
        digest = hashlib.sha256(body).hexdigest()
        once = once or is_immutable(key)
        name = self._name(key)
        args = {"Bucket": self.bucket, "Key": name, "Body": body,
                "ContentType": content_type, "Metadata": {"sha256": digest}}
        if once:
            if self.exists(key):
                raise AlreadyStored(f"文件已存在，不能覆盖：{key}")
            if self.conditional_put:
                args["IfNoneMatch"] = "*"
            if self.retain_days:
                args["ObjectLockMode"] = "COMPLIANCE"
                args["ObjectLockRetainUntilDate"] = (
                    datetime.now(UTC) + timedelta(days=self.retain_days))
                args["ContentMD5"] = base64.b64encode(  # object lock requires an integrity check
                    hashlib.md5(body, usedforsecurity=False).digest()).decode()
        try:
            self._put(key, args)
        except StorageError as error:
            if "IfNoneMatch" not in args or error.code not in NO_CONDITIONAL_PUT:
                raise
            args.pop("IfNoneMatch")  # a store without conditional writes: the check above
            self._put(key, args)     # (and the archive's filing claim) still hold
            self.conditional_put = False
        return Stored(key, len(body), digest)

    def _put(self, key, args):
        from botocore.exceptions import ClientError

        try:
            self.client.put_object(**args)
        except ClientError as error:
            code = self._code(error)
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "412"):
                raise AlreadyStored(f"文件已存在，不能覆盖：{key}") from error
            failed = StorageError(f"写入对象存储失败：{key}（{code or error}）")
            failed.code = code
            raise failed from error

    def _get(self, key):
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if self._code(error) in ("NoSuchKey", "404", "NotFound"):
                raise NotStored(f"文件缺失：{key}") from error
            raise StorageError(f"读取对象存储失败：{key}（{self._code(error)}）") from error

    def _head(self, key):
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if self._code(error) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise StorageError(f"读取对象存储失败：{key}（{self._code(error)}）") from error

    def open(self, key):
        """A binary stream of the object (close it when done); raises NotStored."""
        return self._get(key)["Body"]

    def read(self, key):
        body = self.open(key)
        try:
            return body.read()
        finally:
            body.close()

    def exists(self, key):
        return self._head(key) is not None

    def size(self, key):
        head = self._head(key)
        if head is None:
            raise NotStored(f"文件缺失：{key}")
        return head["ContentLength"]

    def recorded_sha256(self, key):
        """The SHA-256 written into the object's metadata at put time (None if absent)."""
        head = self._head(key)
        return head.get("Metadata", {}).get("sha256") if head else None

    def delete(self, key):
        if is_immutable(key):
            raise StorageError(f"档案文件不能删除：{key}")
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def keys(self, prefix=""):
        """Every key under `prefix` in the bucket (the app's prefix taken off). Raises
        StorageError when the service refuses the listing (e.g. s3:ListBucket withheld)."""
        from botocore.exceptions import BotoCoreError, ClientError

        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", ()):
                    yield item["Key"][len(self.prefix):]
        except (ClientError, BotoCoreError) as error:
            raise StorageError(f"列出对象存储失败：{prefix}（{self._code(error) or error}）") \
                from error

    def send(self, key, mimetype, download_name=None, max_age=0):
        """A Flask response streaming the object through the app; raises NotStored."""
        obj = self._get(key)
        body = obj["Body"]

        def chunks():
            try:
                while chunk := body.read(64 * 1024):
                    yield chunk
            finally:
                body.close()

        response = current_app.response_class(chunks(), mimetype=mimetype,
                                              direct_passthrough=True)
        response.content_length = obj["ContentLength"]
        if obj.get("ETag"):
            response.set_etag(obj["ETag"].strip('"'))
        if download_name:
            response.headers.set("Content-Disposition", "inline", filename=download_name)
        response.cache_control.max_age = max_age
        return response
