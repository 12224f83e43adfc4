#!/usr/bin/env python3
"""A stub of the Alibaba Cloud Container Registry API on 127.0.0.1, for tests and the demo.

It checks every request's V3 (ACS3-HMAC-SHA256) signature with the official Alibaba Cloud SDK's
own signer (`alibabacloud_openapi_util.client.get_authorization`, from PyPI), independently of the
helper's Swift code, and refuses what the real service refuses: unknown keys, bad signatures,
stale dates, reused nonces, STS credentials without their token. It answers like the real API:
cr 2016-06-07 `GET /tokens` (lower-case keys), cr 2018-12-01 `ListInstance` (paged) and
`GetAuthorizationToken`, with the real error bodies and status codes; and, for the other
credential sources, STS 2015-04-01 `AssumeRole` (signed) and `AssumeRoleWithOIDC` (anonymous,
form body), the ECS instance metadata service (IMDSv2 token, then the role's credentials) and a
credentials URI. STS credentials it issues are then accepted, with their token, like any key.

Usage: acr-api-stub.py DIR
  DIR/config.json   what the stub knows; re-read whenever it changes:
      {"keys": {"LTAI…": {"secret": "…", "security_token": "…" (STS only),
                          "refuse": "USER_NOT_EXIST" | "Forbidden.RAM" (optional)}},
       "instances": [{"InstanceId": "cri-…", "InstanceName": "…", "RegionId": "cn-hangzhou"}],
       "token_lifetime_seconds": 3600, "clock_skew_seconds": 0,
       "fixed_tokens": {"cri-…": "password"},   (what a real registry's htpasswd expects)
       "roles": {"acs:ram::…:role/…": {"trusted_keys": ["LTAI…"], "oidc_provider": "acs:ram::…:oidc-provider/…",
                                       "oidc_token": "…"}},
       "ecs_roles": ["node-role"], "credentials_uri": true, "sts_lifetime_seconds": 3600,
       "faults": [{"action": "GetAuthorizationToken", "times": 2,
                   "kind": "throttle" | "503" | "html" | "truncated" | "not_success" | "hang"}]}
  Faults are served (before any check) to the next `times` requests of that action.
  DIR/tls.pem, DIR/tls.key   when present at start: HTTPS with that certificate and key
  DIR/port          written once listening (the port number)
  DIR/requests.log  one JSON line per request: action, version, key, query, status, code
"""

import hashlib
import json
import os
import re
import ssl
import sys
import threading
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from alibabacloud_openapi_util.client import Client as OpenApiUtil
from Tea.request import TeaRequest

ALGORITHM = "ACS3-HMAC-SHA256"
REQUIRED_SIGNED = {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
                   "x-acs-content-sha256"}
AUTHORIZATION = re.compile(r"^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$")


class Refusal(Exception):
    def __init__(self, status, code, message, lower_case=False, extra=None):
        super().__init__(code)
        self.status, self.code, self.message, self.lower_case, self.extra = status, code, message, lower_case, extra


class Stub:
    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        self.nonces = set()
        self.config = {}
        self.config_mtime = None
        self.minted = 0
        self.issued = {}
        self.served = {}
        self.imds_tokens = set()

    def load_config(self):
        path = os.path.join(self.directory, "config.json")
        mtime = os.stat(path).st_mtime_ns
        if mtime != self.config_mtime:
            with open(path) as f:
                self.config = json.load(f)
            self.config_mtime = mtime
            self.served = {}

    def take_fault(self, action):
        """The next fault planned for this action, if any (each served `times` times)."""
        with self.lock:
            for fault in self.config.get("faults", []):
                if fault.get("action") == action and fault.get("times", 0) > self.served.get(id(fault), 0):
                    self.served[id(fault)] = self.served.get(id(fault), 0) + 1
                    return fault["kind"]
        return None

    def now(self):
        return time.time() + self.config.get("clock_skew_seconds", 0)

    def expiry(self, seconds):
        """A password's expiry in milliseconds, or the value the test wants answered instead."""
        if "expiry_milliseconds" in self.config:
            return self.config["expiry_milliseconds"]
        return int((self.now() + seconds) * 1000)

    def log(self, entry):
        with open(os.path.join(self.directory, "requests.log"), "a") as f:
            f.write(json.dumps(entry) + "\n")

    # -- signature check, with the SDK's signer --------------------------------------------------

    def authenticate(self, method, path, query, headers, body):
        match = AUTHORIZATION.match(headers.get("authorization", ""))
        if not match:
            raise Refusal(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        key_id, signed_list, signature = match.groups()
        signed = signed_list.split(";")
        if signed != sorted(signed) or not REQUIRED_SIGNED.issubset(signed) or any(h not in headers for h in signed):
            raise Refusal(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        key = self.config.get("keys", {}).get(key_id) or self.issued.get(key_id)
        if key is None:
            raise Refusal(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if hashlib.sha256(body).hexdigest() != headers["x-acs-content-sha256"]:
            raise Refusal(400, "ContentSHA256NotMatched", "The content sha256 does not match.")

        request = TeaRequest()
        request.method = method
        request.pathname = path
        request.query = query
        request.headers = {name: headers[name] for name in signed}
        expected = OpenApiUtil.get_authorization(request, ALGORITHM, headers["x-acs-content-sha256"], key_id,
                                                 key["secret"])
        if expected != headers["authorization"]:
            raise Refusal(400, "SignatureDoesNotMatch",
                          "Specified signature is not matched with our calculation. server string to sign is:"
                          + ALGORITHM)

        token = key.get("security_token")
        if token is not None:
            if "x-acs-security-token" not in signed:
                raise Refusal(400, "MissingSecurityToken", "SecurityToken is mandatory for this action.")
            if headers["x-acs-security-token"] != token:
                raise Refusal(400, "InvalidSecurityToken.MismatchWithAccessKey",
                              "Specified SecurityToken mismatch with the AccessKey.")

        try:
            signed_at = time.mktime(time.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
        except ValueError:
            raise Refusal(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
        if abs(self.now() - signed_at) > 15 * 60:
            raise Refusal(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")

        with self.lock:
            nonce = headers["x-acs-signature-nonce"]
            if nonce in self.nonces:
                raise Refusal(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self.nonces.add(nonce)
        return key_id, key

    # -- the API ---------------------------------------------------------------------------------

    def answer(self, method, path, query, headers, body):
        """Returns (status, body dict, log fields)."""
        action = headers.get("x-acs-action", "")
        version = headers.get("x-acs-version", "")
        key_id, key = self.authenticate(method, path, query, headers, body)
        refuse = key.get("refuse")
        lifetime = self.config.get("token_lifetime_seconds", 3600)

        if version == "2016-06-07" and method == "GET" and path == "/tokens" and action == "GetAuthorizationToken":
            if refuse == "USER_NOT_EXIST":
                raise Refusal(404, "USER_NOT_EXIST", "user is not exist.", lower_case=True)
            self.check_permission(refuse, "cr:GetAuthorizationToken")
            return 200, {"data": {"authorizationToken": self.mint(key_id, "personal"),
                                  "tempUserName": "cr_temp_user",
                                  "expireDate": self.expiry(lifetime)},
                         "requestId": str(uuid.uuid4()).upper()}

        if version == "2018-12-01" and method == "POST" and path == "/":
            if action == "ListInstance":
                self.check_permission(refuse, "cr:ListInstance")
                name = query.get("InstanceName", "")
                page = int(query.get("PageNo", "1"))
                size = int(query.get("PageSize", "30"))
                # The real service matches names loosely; the helper must pick the exact one.
                matching = [i for i in self.config.get("instances", []) if name in i["InstanceName"]]
                return 200, {"Code": "success", "IsSuccess": True, "PageNo": page, "PageSize": size,
                             "TotalCount": len(matching), "RequestId": str(uuid.uuid4()).upper(),
                             "Instances": matching[(page - 1) * size:page * size]}
            if action == "GetAuthorizationToken":
                self.check_permission(refuse, "cr:GetAuthorizationToken")
                instance_id = query.get("InstanceId", "")
                if instance_id not in {i["InstanceId"] for i in self.config.get("instances", [])}:
                    return 404, {"Code": "INSTANCE_NOT_EXIST", "Message": "instance is not exist.",
                                 "IsSuccess": False, "RequestId": str(uuid.uuid4()).upper()}
                hours = query.get("ExpiresInHours")
                seconds = int(hours) * 3600 if hours else lifetime
                password = self.config.get("fixed_tokens", {}).get(instance_id) or self.mint(key_id, instance_id)
                return 200, {"AuthorizationToken": password, "TempUsername": "cr_temp_user",
                             "ExpireTime": self.expiry(seconds), "IsSuccess": True,
                             "Code": "success", "RequestId": str(uuid.uuid4()).upper()}

        if version == "2015-04-01" and method == "POST" and path == "/" and action == "AssumeRole":
            role = self.config.get("roles", {}).get(query.get("RoleArn", ""))
            if role is None:
                raise Refusal(404, "EntityNotExist.Role", "The role not exists.")
            if key_id not in role.get("trusted_keys", []):
                raise Refusal(403, "NoPermission", "You are not authorized to do this action.",
                              extra={"AccessDeniedDetail": {"AuthAction": "sts:AssumeRole"}})
            if not re.match(r"^[A-Za-z0-9.@_-]{2,64}$", query.get("RoleSessionName", "")):
                raise Refusal(400, "InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed.")
            return 200, self.issue(query["RoleArn"], query["RoleSessionName"])

        raise Refusal(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")

    def issue(self, role_arn, session):
        """Fresh STS credentials, accepted from now on like any key."""
        with self.lock:
            self.minted += 1
            key_id = f"STS.NStub{self.minted:06d}"
        secret, token = uuid.uuid4().hex, "CAIS" + uuid.uuid4().hex
        self.issued[key_id] = {"secret": secret, "security_token": token}
        expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                   time.gmtime(self.now() + self.config.get("sts_lifetime_seconds", 3600)))
        return {"RequestId": str(uuid.uuid4()).upper(),
                "AssumedRoleUser": {"Arn": f"{role_arn}/{session}", "AssumedRoleId": f"3000:{session}"},
                "Credentials": {"AccessKeyId": key_id, "AccessKeySecret": secret, "SecurityToken": token,
                                "Expiration": expiration}}

    def assume_role_with_oidc(self, form):
        """The anonymous STS call: the OIDC token in the form body is the proof."""
        if form.get("Action") != "AssumeRoleWithOIDC" or form.get("Version") != "2015-04-01":
            raise Refusal(400, "MissingParameter", "The input parameter Action or Version is missing.")
        role = self.config.get("roles", {}).get(form.get("RoleArn", ""))
        if role is None or role.get("oidc_provider") != form.get("OIDCProviderArn"):
            raise Refusal(404, "EntityNotExist.OIDCProvider", "The OIDC provider or role does not exist.")
        if role.get("oidc_token") != form.get("OIDCToken"):
            raise Refusal(400, "InvalidParameter.OIDCToken", "The OIDC token is invalid.")
        return 200, self.issue(form["RoleArn"], form.get("RoleSessionName", ""))

    def metadata(self, method, path, headers):
        """The ECS instance metadata service: IMDSv2 tokens, then a role's credentials."""
        if method == "PUT" and path == "/latest/api/token":
            if not headers.get("x-aliyun-ecs-metadata-token-ttl-seconds"):
                raise Refusal(400, "MissingTTL", "missing x-aliyun-ecs-metadata-token-ttl-seconds")
            token = "imds-" + uuid.uuid4().hex
            self.imds_tokens.add(token)
            return 200, token
        prefix = "/latest/meta-data/ram/security-credentials/"
        if method == "GET" and path.startswith(prefix):
            if headers.get("x-aliyun-ecs-metadata-token") not in self.imds_tokens:
                raise Refusal(401, "Unauthorized", "IMDSv2 token required")
            role = path[len(prefix):]
            if role not in self.config.get("ecs_roles", []):
                raise Refusal(404, "NotFound", "no such role")
            return 200, self.credentials_document(role)
        raise Refusal(404, "NotFound", "no such metadata")

    def credentials_document(self, name):
        issued = self.issue(f"acs:ram::1:role/{name}", "instance")["Credentials"]
        return {"Code": "Success", "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **issued}

    @staticmethod
    def check_permission(refuse, action):
        if refuse == "Forbidden.RAM":
            raise Refusal(403, "Forbidden.RAM",
                          "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
                          extra={"AccessDeniedDetail": {"AuthAction": action, "NoPermissionType": "ImplicitDeny"}})

    def mint(self, key_id, scope):
        with self.lock:
            self.minted += 1
            return f"token-{scope}-{key_id}-{self.minted}"


def make_handler(stub):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def handle_any(self):
            url = urlsplit(self.path)
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            headers = {name.lower(): value for name, value in self.headers.items()}
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            entry = {"method": self.command, "path": url.path, "action": headers.get("x-acs-action"),
                     "version": headers.get("x-acs-version"), "query": query,
                     "key": (AUTHORIZATION.match(headers.get("authorization", "")) or [None, None])[1]}
            with stub.lock:
                stub.load_config()
            fault = stub.take_fault(entry["action"])
            if fault is not None:
                entry["fault"] = fault
                entry["status"] = {"throttle": 400, "503": 503, "html": 502, "hang": 0}.get(fault, 200)
                stub.log(entry)
                self.serve_fault(fault)
                return
            try:
                if url.path.startswith("/latest/"):
                    entry["action"] = "IMDSToken" if self.command == "PUT" else "IMDSCredentials"
                    status, document = stub.metadata(self.command, url.path, headers)
                elif url.path == "/credentials-uri" and stub.config.get("credentials_uri"):
                    entry["action"] = "CredentialsURI"
                    status, document = 200, stub.credentials_document("uri")
                elif "authorization" not in headers and headers.get("content-type", "").startswith(
                        "application/x-www-form-urlencoded"):
                    form = dict(parse_qsl(body.decode(), keep_blank_values=True))
                    entry["action"] = form.get("Action")
                    entry["query"] = {k: v for k, v in form.items() if k != "OIDCToken"}
                    status, document = stub.assume_role_with_oidc(form)
                else:
                    status, document = stub.answer(self.command, url.path, query, headers, body)
                entry["code"] = document.get("Code", "success") if isinstance(document, dict) else "success"
            except Refusal as refusal:
                status = refusal.status
                keys = ("code", "message", "requestId") if refusal.lower_case else ("Code", "Message", "RequestId")
                document = dict(zip(keys, (refusal.code, refusal.message, str(uuid.uuid4()).upper())))
                if not refusal.lower_case:
                    document["HostId"] = headers.get("host", "")
                document.update(refusal.extra or {})
                entry["code"] = refusal.code
            entry["status"] = status
            stub.log(entry)
            payload = document.encode() if isinstance(document, str) else json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Date", formatdate(stub.now(), usegmt=True))
            self.end_headers()
            self.wfile.write(payload)

        def serve_fault(self, fault):
            if fault == "hang":
                time.sleep(30)
                return
            if fault == "huge":
                # 64 MiB of a JSON string, streamed without a length, as a hostile server would.
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                try:
                    self.wfile.write(b'{"AuthorizationToken":"')
                    chunk = b"A" * (1 << 20)
                    for _ in range(64):
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True
                return
            bodies = {
                "throttle": (400, {"x-acs-retry-after": "1"},
                             b'{"Code":"Throttling.User","Message":"Request was denied due to user flow control."}'),
                "503": (503, {}, b'{"Code":"ServiceUnavailable","Message":"The request has failed due to a '
                                 b'temporary failure of the server."}'),
                "html": (502, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html><body>Bad Gateway</body></html>"),
                "truncated": (200, {}, b'{"AuthorizationToken":"tok'),
                "not_success": (200, {}, b'{"IsSuccess":false,"Code":"INSTANCE_NOT_RUNNING",'
                                         b'"Message":"instance is not running","RequestId":"R-1"}'),
            }
            status, headers, payload = bodies[fault]
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = handle_any

    return Handler


def main(directory):
    stub = Stub(directory)
    stub.load_config()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(stub))
    certificate, key = os.path.join(directory, "tls.pem"), os.path.join(directory, "tls.key")
    if os.path.exists(certificate):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(os.path.join(directory, "port.tmp"), "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(os.path.join(directory, "port.tmp"), os.path.join(directory, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
