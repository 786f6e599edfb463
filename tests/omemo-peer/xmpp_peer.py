# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at http://mozilla.org/MPL/2.0/.

"""A real XMPP OMEMO peer for Sotto's interop tests: slixmpp + slixmpp-omemo.

Connects to the Prosody of a test (STARTTLS on 127.0.0.1, the test's
self-signed certificate as the only trusted CA) and speaks both OMEMO
namespaces: legacy (eu.siacs.conversations.axolotl) and OMEMO 2
(urn:xmpp:omemo:2). slixmpp-omemo manages the devices, device lists, bundles,
PEP subscriptions and trust (BTBV); since slixmpp-omemo has no XEP-0420 (SCE)
support, this script builds and reads the OMEMO 2 SCE envelope itself and
drives python-omemo's session manager directly for both namespaces.

Driven over stdin/stdout, one JSON object per line. Each request gets exactly
one reply, in order, carrying the request's "id" if it had one; replies have
"ok" (false: "error" = exception class, "causes", "message"). Unsolicited
lines have "event" instead of "ok":

  {"event": "message", "from", "to", "id", "type", "text", "encrypted", "ns",
   "sender_device", "carbon": null|"received"|"sent", "sce": {...}|null,
   "keys": [{ns, jid, device_id, kex}]}   (every <key/> of the stanza, both namespaces;
                                           jid is null for legacy keys)
  {"event": "empty", "from", "ns", "sender_device", "carbon"}   (key transport /
                                                                 session completion)
  {"event": "undecryptable", "from", "ns", "error", "causes", "message", "has_payload", "carbon",
   "keys"}
  {"event": "not_for_us", "from", "ns"}     (an empty message for another device of this account)
  {"event": "stanza_error", "from", "id", "condition", "text"}
  {"event": "sent_empty", "to", "ns", "device_id", "kex"}       (python-omemo sent one by itself)
  {"event": "disconnected"}

Requests (namespaces: "legacy", "omemo2"; send also takes "both" and "auto"):
  connect {timeout?}          -> {jid, device_id, fingerprints: {legacy, omemo2}, identity_key}
  send {to, text, ns}         -> {id, namespaces, keys: [{ns, jid, device_id, kex}], errors}
  send_plain {to, text}       -> {id}
  devices {jid, ns}           -> {active: [ids], inactive: [ids]}
  refresh {jid}               -> {legacy: [ids], omemo2: [ids]}  (re-fetched from the server)
  remove_device {device_id, ns} -> {devices: [ids]}  (own account's published list)
  trust {jid, device_id, level: "trusted"|"blind"|"distrusted"|"undecided"} -> {}
  subscribe {jid}             -> {}  (presence subscription; auto-accepted both ways)
  disconnect                  -> {}
  quit                        (no reply; exits)
"""

import argparse
import asyncio
import base64
import datetime
import json
import logging
import os
import secrets
import string
import sys
import traceback
import xml.etree.ElementTree as ET
from pathlib import Path

import omemo
import oldmemo
import oldmemo.etree
import twomemo
import twomemo.etree
from slixmpp import ClientXMPP
from slixmpp.jid import JID  # pylint: disable=no-name-in-module
from slixmpp.plugins import register_plugin
from slixmpp.xmlstream.handler import CoroutineCallback
from slixmpp.xmlstream.matcher import MatchXPath
from slixmpp.plugins.xep_0004 import Form
from slixmpp_omemo import XEP_0384, TrustLevel

OLD = oldmemo.oldmemo.NAMESPACE
TWO = twomemo.twomemo.NAMESPACE
NAMESPACES = {"legacy": OLD, "omemo2": TWO}
NS_NAMES = {OLD: "legacy", TWO: "omemo2"}
SCE = "urn:xmpp:sce:1"
FALLBACK = "This message is OMEMO encrypted (Sotto test peer)."
TRUST_LEVELS = {
    "trusted": TrustLevel.TRUSTED,
    "blind": TrustLevel.BLINDLY_TRUSTED,
    "distrusted": TrustLevel.DISTRUSTED,
    "undecided": TrustLevel.UNDECIDED,
}

log = logging.getLogger("xmpp_peer")


def _retry_transient_publish():
    """Retries a PEP publish the server failed for a transient reason.

    ejabberd 23.01 (Debian 12) aborts a PEP node creation when another
    account creates one at the same moment (a mnesia "cyclic" lock on
    `pubsub_index`) and answers item-not-found or internal-server-error;
    slixmpp-omemo then gives up on its bundle for good. Sotto retries such
    failures itself (docs/protocols.md, ejabberd PEP); the peer does the same.
    """
    from slixmpp.exceptions import IqError
    import slixmpp_omemo.xep_0384 as plugin

    publish = plugin._publish_item_and_configure_node  # pylint: disable=protected-access

    async def with_retries(*args, **kwargs):
        for attempt in range(4):
            try:
                return await publish(*args, **kwargs)
            except IqError as e:
                condition = e.iq["error"]["condition"]
                if attempt == 3 or condition not in ("item-not-found", "internal-server-error"):
                    raise
                log.warning("publish failed (%s), retrying", condition)
                await asyncio.sleep(0.3 * (attempt + 1))
        return None

    plugin._publish_item_and_configure_node = with_retries  # pylint: disable=protected-access


_retry_transient_publish()


def emit(obj):
    """One JSON line on stdout. Only the event loop's thread writes, so lines never interleave."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def causes(e):
    out, seen = [], set()
    cur = e.__cause__ or e.__context__
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        out.append(type(cur).__name__)
        cur = cur.__cause__ or cur.__context__
    return out


class JsonStorage(omemo.Storage):
    """All OMEMO state in one JSON file, rewritten on every change (small, test-only)."""

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)
        self.data = {}
        if self.path.exists():
            self.data = json.loads(self.path.read_text(encoding="utf-8"))

    def flush(self):
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data), encoding="utf-8")
        os.replace(tmp, self.path)

    async def _load(self, key):
        if key in self.data:
            return omemo.Just(self.data[key])
        return omemo.Nothing()

    async def _store(self, key, value):
        self.data[key] = value
        self.flush()

    async def _delete(self, key):
        self.data.pop(key, None)
        self.flush()


class PeerOmemo(XEP_0384):
    """slixmpp-omemo's plugin with JSON storage and BTBV; manual decisions trust everything."""

    name = "xep_0384"
    default_config = {"fallback_message": FALLBACK, "storage_path": None, "btbv": True}

    def plugin_init(self):
        self._storage = JsonStorage(self.storage_path)
        super().plugin_init()

    @property
    def storage(self):
        return self._storage

    @property
    def _btbv_enabled(self):
        return self.btbv

    async def _devices_blindly_trusted(self, blindly_trusted, identifier):
        log.info("blindly trusted %s", sorted((d.bare_jid, d.device_id) for d in blindly_trusted))

    async def _prompt_manual_trust(self, manually_trusted, identifier):
        # A test peer has no user to ask: a manual decision trusts, except for
        # keys a test explicitly distrusted (those never reach this prompt).
        sm = await self.get_session_manager()
        for device in manually_trusted:
            await sm.set_trust(device.bare_jid, device.identity_key, TrustLevel.TRUSTED.value)


register_plugin(PeerOmemo)


def sce_envelope(text, own_bare, to_bare):
    """XEP-0420 envelope with a body, random padding, time, to and from (bare JIDs)."""
    env = ET.Element(f"{{{SCE}}}envelope")
    content = ET.SubElement(env, f"{{{SCE}}}content")
    ET.SubElement(content, "{jabber:client}body").text = text
    alphabet = string.ascii_letters + string.digits
    ET.SubElement(env, f"{{{SCE}}}rpad").text = "".join(
        secrets.choice(alphabet) for _ in range(secrets.randbelow(201)))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ET.SubElement(env, f"{{{SCE}}}time", {"stamp": stamp})
    ET.SubElement(env, f"{{{SCE}}}to", {"jid": to_bare})
    ET.SubElement(env, f"{{{SCE}}}from", {"jid": own_bare})
    return ET.tostring(env, encoding="utf-8")


class SceError(Exception):
    """The OMEMO 2 plaintext is not an acceptable SCE envelope."""


def read_sce(plaintext, sender_bare, own_bare):
    try:
        env = ET.fromstring(plaintext)
    except ET.ParseError as e:
        raise SceError(f"not XML: {e}") from e
    if env.tag != f"{{{SCE}}}envelope":
        raise SceError(f"root element is {env.tag}, not an SCE envelope")
    content = env.find(f"{{{SCE}}}content")
    if content is None:
        raise SceError("envelope without <content/>")
    body = next((c for c in content if c.tag.rsplit("}", 1)[-1] == "body"), None)
    frm = env.find(f"{{{SCE}}}from")
    to = env.find(f"{{{SCE}}}to")
    time = env.find(f"{{{SCE}}}time")
    rpad = env.find(f"{{{SCE}}}rpad")
    info = {
        "from": None if frm is None else frm.get("jid"),
        "to": None if to is None else to.get("jid"),
        "time": None if time is None else time.get("stamp"),
        "rpad_len": None if rpad is None else len(rpad.text or ""),
        "content": [c.tag for c in content],
    }
    # XEP-0420 §5: the recipient checks <from/> against the stanza's sender.
    if info["from"] is None or JID(info["from"]).bare != sender_bare:
        raise SceError(f"SCE <from/> {info['from']!r} is not the sender {sender_bare}")
    if info["to"] is not None and JID(info["to"]).bare != own_bare:
        raise SceError(f"SCE <to/> {info['to']!r} is not us ({own_bare})")
    return (None if body is None else (body.text or "")), info


def stanza_keys(stanza):
    """Every <key/> of every <encrypted/> in a message: the devices it was
    encrypted for, as the sender chose them. Legacy keys carry only the rid."""
    keys = []
    for namespace, name in NS_NAMES.items():
        header = stanza.find(f"{{{namespace}}}encrypted/{{{namespace}}}header")
        if header is None:
            continue
        if namespace == TWO:
            found = [(group.get("jid"), key, key.get("kex"))
                     for group in header.findall(f"{{{TWO}}}keys")
                     for key in group.findall(f"{{{TWO}}}key")]
        else:
            found = [(None, key, key.get("prekey")) for key in header.findall(f"{{{OLD}}}key")]
        for jid, key, kex in found:
            rid = key.get("rid", "")
            if rid.isdigit():
                keys.append({"ns": name, "jid": jid, "device_id": int(rid), "kex": kex in ("true", "1")})
    return sorted(keys, key=lambda k: (k["ns"], k["jid"] or "", k["device_id"]))


class Peer:
    def __init__(self, args):
        self.args = args
        self.xmpp = ClientXMPP(args.jid, args.password)
        self.xmpp.enable_direct_tls = False  # the harness's c2s port is STARTTLS-only
        self.xmpp.enable_starttls = True
        self.xmpp.enable_plaintext = False
        # The test's self-signed certificate is the only CA; the host name
        # (localhost) is still checked against it.
        self.xmpp.ca_certs = Path(args.ca_file)
        for plugin in ("xep_0030", "xep_0060", "xep_0163", "xep_0199", "xep_0280", "xep_0334"):
            self.xmpp.register_plugin(plugin)
        self.xmpp.register_plugin(
            "xep_0384",
            {"storage_path": os.path.join(args.state_dir, "omemo.json"), "btbv": args.trust == "btbv"},
            module=sys.modules[__name__],
        )
        self.omemo = self.xmpp.plugin["xep_0384"]
        self.online = None
        self.omemo_ready = None
        self.xmpp.add_event_handler("session_start", self.on_session_start)
        self.xmpp.add_event_handler("omemo_initialized", self.on_omemo_initialized)
        self.xmpp.add_event_handler("failed_auth", self.on_failed_auth)
        self.xmpp.add_event_handler("connection_failed", self.on_connection_failed)
        self.xmpp.add_event_handler("disconnected", self.on_disconnected)
        # slixmpp's "message" event fires only for stanzas with a <body/>, so a
        # client built on it never sees empty OMEMO messages (key transport,
        # session completion). The peer takes every message stanza itself.
        self.xmpp.register_handler(CoroutineCallback(
            "SottoPeerMessages", MatchXPath("{jabber:client}message"), self.on_message))
        self.xmpp.add_event_handler("carbon_received", self.on_carbon_received)
        self.xmpp.add_event_handler("carbon_sent", self.on_carbon_sent)

    # --- connection -------------------------------------------------------

    def _fail(self, future, exc):
        if future is not None and not future.done():
            future.set_exception(exc)

    async def on_session_start(self, _event):
        try:
            self.xmpp.send_presence()
            await self.xmpp.get_roster()
            await self.xmpp.plugin["xep_0280"].enable()
        except Exception as e:  # pylint: disable=broad-exception-caught
            self._fail(self.online, e)
            return
        if self.online is not None and not self.online.done():
            self.online.set_result(True)

    def on_omemo_initialized(self, _event=None):
        if self.omemo_ready is not None and not self.omemo_ready.done():
            self.omemo_ready.set_result(True)

    def on_failed_auth(self, _event=None):
        self._fail(self.online, PermissionError("authentication failed"))

    def on_connection_failed(self, error=None):
        self._fail(self.online, ConnectionError(f"connection failed: {error}"))

    def on_disconnected(self, _event=None):
        self._fail(self.online, ConnectionError("disconnected before the session started"))
        emit({"event": "disconnected"})

    async def connect(self, req):
        loop = asyncio.get_running_loop()
        self.online = loop.create_future()
        self.omemo_ready = loop.create_future()
        self.xmpp.connect(self.args.host, self.args.port)
        timeout = float(req.get("timeout", 30))
        await asyncio.wait_for(self.online, timeout)
        # The session manager is built at session bind (in the background):
        # it generates or loads the device, publishes both bundles and adds
        # itself to both device lists before "omemo_initialized".
        sm = await asyncio.wait_for(self.omemo.get_session_manager(), timeout)
        self.on_omemo_initialized()
        self.trace_library_sends(sm)
        await asyncio.wait_for(self.omemo_ready, timeout)
        await self.keep_every_omemo2_bundle()
        own, _ = await sm.get_own_device_information()
        fingerprint = "".join(sm.format_identity_key(own.identity_key))
        return {
            "jid": str(self.xmpp.boundjid),
            "device_id": own.device_id,
            "fingerprints": {"legacy": fingerprint, "omemo2": fingerprint},
            "identity_key": own.identity_key.hex(),
        }

    async def keep_every_omemo2_bundle(self):
        """Configures this account's OMEMO 2 bundles node to keep one item
        per device, as its owner.

        slixmpp-omemo 2.2 publishes OMEMO 2 bundles with the publish-option
        pubsub#max_items=max and, when a server refuses that field (ejabberd
        23.01 answers resource-constraint "Unknown field"), publishes again
        without it. ejabberd's PEP nodes keep one item by default, so the
        second device's bundle would replace the first one's. The peer makes
        up for that here so that two-device tests exercise the peer, not this
        gap of the library. Harmless where the node already keeps them all.
        """
        form = Form()
        form["type"] = "submit"
        form.add_field(
            var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/pubsub#node_config"
        )
        form.add_field(var="pubsub#max_items", value="max")
        try:
            await self.xmpp["xep_0060"].set_node_config(
                JID(self.xmpp.boundjid.bare), "urn:xmpp:omemo:2:bundles", form
            )
        except Exception as e:  # pylint: disable=broad-exception-caught
            log.warning("configuring the OMEMO 2 bundles node failed: %s", causes(e))

    def trace_library_sends(self, sm):
        """Reports the messages python-omemo sends by itself (empty messages that
        complete a key exchange or prevent staleness) as "sent_empty" events."""
        cls = type(sm)
        if getattr(cls, "_sotto_traced", False):
            return
        original = cls._send_message  # pylint: disable=protected-access

        async def traced(message, bare_jid):
            await original(message, bare_jid)
            for key, kex in message.keys:
                emit({"event": "sent_empty", "to": bare_jid, "ns": NS_NAMES.get(message.namespace),
                      "device_id": key.device_id, "kex": kex is not None})

        cls._send_message = staticmethod(traced)  # pylint: disable=protected-access
        cls._sotto_traced = True  # pylint: disable=protected-access

    async def disconnect(self, _req):
        await self.xmpp.disconnect()
        return {}

    # --- sending ----------------------------------------------------------

    async def send(self, req):
        to = JID(req["to"])
        ns = req.get("ns", "auto")
        text = req["text"]
        own_bare = self.xmpp.boundjid.bare
        sm = await self.omemo.get_session_manager()
        # Subscribes to the device lists of non-contacts and fetches them,
        # as slixmpp-omemo's own encrypt_message does.
        await self.omemo.refresh_device_lists({to})
        plaintexts = {OLD: text.encode("utf-8"), TWO: sce_envelope(text, own_bare, to.bare)}
        if ns in ("legacy", "omemo2"):
            orders = [[NAMESPACES[ns]]]
        elif ns == "auto":
            # slixmpp-omemo's choice: per device, OMEMO 2 if it has it, else legacy.
            orders = [[TWO, OLD]]
        elif ns == "both":
            # One element per namespace, each for every device listed in it.
            orders = [[TWO], [OLD]]
        else:
            raise ValueError(f"unknown ns {ns!r}")
        messages, errors, failures = [], [], []
        for order in orders:
            try:
                msgs, errs = await sm.encrypt(frozenset([to.bare]), plaintexts, order)
            except omemo.NoEligibleDevices as e:
                if ns != "both":
                    raise
                failures.append(e)
                continue
            messages.extend(msgs)
            errors.extend(errs)
        if not messages:
            raise failures[0] if failures else omemo.NoEligibleDevices(frozenset([to.bare]), "nothing to send")
        stanza = self.xmpp.make_message(mto=to, mtype="chat")
        stanza["body"] = self.omemo.fallback_message
        stanza.enable("store")
        keys = []
        for message in messages:
            etree = twomemo.etree if message.namespace == TWO else oldmemo.etree
            stanza.append(etree.serialize_message(message))
            for key, kex in message.keys:
                keys.append({"ns": NS_NAMES[message.namespace], "jid": key.bare_jid,
                             "device_id": key.device_id, "kex": kex is not None})
        stanza_id = stanza["id"] or self.xmpp.new_id()
        stanza["id"] = stanza_id
        stanza.send()
        return {
            "id": stanza_id,
            "namespaces": sorted(NS_NAMES[m.namespace] for m in messages),
            "keys": sorted(keys, key=lambda k: (k["ns"], k["jid"], k["device_id"])),
            "errors": [f"{NS_NAMES.get(e.namespace, e.namespace)} {e.bare_jid}/{e.device_id}: "
                       f"{type(e.exception).__name__}: {e.exception}" for e in errors],
        }

    async def send_plain(self, req):
        stanza = self.xmpp.make_message(mto=JID(req["to"]), mbody=req["text"], mtype="chat")
        stanza["id"] = stanza["id"] or self.xmpp.new_id()
        stanza.send()
        return {"id": stanza["id"]}

    # --- receiving --------------------------------------------------------

    async def on_message(self, msg):
        await self.handle(msg, None)

    async def on_carbon_received(self, msg):
        await self.handle(msg["carbon_received"], "received")

    async def on_carbon_sent(self, msg):
        await self.handle(msg["carbon_sent"], "sent")

    async def handle(self, msg, carbon):
        try:
            await self._handle(msg, carbon)
        except Exception as e:  # pylint: disable=broad-exception-caught
            log.exception("handling a message")
            emit({"event": "internal_error", "error": type(e).__name__, "message": str(e)})

    async def _handle(self, msg, carbon):
        mtype = msg["type"]
        frm = msg["from"]
        if mtype == "error":
            err = msg["error"]
            emit({"event": "stanza_error", "from": str(frm), "id": msg["id"],
                  "condition": err["condition"], "text": err["text"]})
            return
        if mtype in ("groupchat", "headline"):
            return
        base = {"from": frm.bare, "to": str(msg["to"]), "id": msg["id"], "type": mtype, "carbon": carbon}
        namespaces = self.omemo.is_encrypted(msg)
        if not namespaces:
            if msg["body"]:
                emit({"event": "message", **base, "text": msg["body"], "encrypted": False,
                      "ns": None, "sender_device": None, "sce": None, "keys": []})
            return
        # Like slixmpp-omemo: OMEMO 2 takes precedence when a stanza carries both.
        namespace = TWO if TWO in namespaces else OLD
        ns = NS_NAMES[namespace]
        # A sent carbon was written by another device of ours: the "sender" of
        # the OMEMO message is our own account.
        sender = frm.bare
        sm = await self.omemo.get_session_manager()
        elt = None
        try:
            elt = msg.xml.find(f"{{{namespace}}}encrypted")
            if namespace == TWO:
                message = twomemo.etree.parse_message(elt, sender)
            else:
                message = await oldmemo.etree.parse_message(elt, sender, self.xmpp.boundjid.bare, sm)
            plaintext, device, _key_material = await sm.decrypt(message)
            text, sce = None, None
            if plaintext is not None:
                if namespace == TWO:
                    # A sent carbon's envelope is addressed to our peer, not to us.
                    to = msg["to"].bare if carbon == "sent" else self.xmpp.boundjid.bare
                    text, sce = read_sce(plaintext, sender, to)
                else:
                    text = plaintext.decode("utf-8")
        except Exception as e:  # pylint: disable=broad-exception-caught
            has_payload = elt is not None and elt.find(f"{{{namespace}}}payload") is not None
            if isinstance(e, omemo.MessageNotForUs) and not has_payload:
                # Empty messages go to the bare JID, so every other device of
                # the account sees the ones meant for one of them.
                emit({"event": "not_for_us", **base, "ns": ns})
                return
            emit({"event": "undecryptable", **base, "ns": ns, "error": type(e).__name__,
                  "causes": causes(e), "message": str(e), "has_payload": has_payload,
                  "keys": stanza_keys(msg.xml)})
            return
        if plaintext is None:
            emit({"event": "empty", **base, "ns": ns, "sender_device": device.device_id})
            return
        emit({"event": "message", **base, "text": text, "encrypted": True, "ns": ns,
              "sender_device": device.device_id, "sce": sce, "keys": stanza_keys(msg.xml)})

    # --- devices and trust ------------------------------------------------

    async def devices(self, req):
        namespace = NAMESPACES[req["ns"]]
        sm = await self.omemo.get_session_manager()
        active, inactive = [], []
        for device in await sm.get_device_information(JID(req["jid"]).bare):
            if namespace not in device.namespaces:
                continue
            (active if dict(device.active).get(namespace) else inactive).append(device.device_id)
        return {"active": sorted(active), "inactive": sorted(inactive)}

    async def refresh(self, req):
        jid = JID(req["jid"]).bare
        sm = await self.omemo.get_session_manager()
        out = {}
        for name, namespace in NAMESPACES.items():
            await sm.refresh_device_list(namespace, jid)
            out[name] = sorted(d.device_id for d in await sm.get_device_information(jid)
                               if namespace in d.namespaces and dict(d.active).get(namespace))
        return out

    async def remove_device(self, req):
        namespace = NAMESPACES[req["ns"]]
        device_id = int(req["device_id"])
        own = self.xmpp.boundjid.bare
        sm = await self.omemo.get_session_manager()
        own_device, _ = await sm.get_own_device_information()
        if device_id == own_device.device_id:
            raise ValueError("refusing to remove this device itself: python-omemo would re-add it at once")
        published = await type(sm)._download_device_list(namespace, own)  # pylint: disable=protected-access
        if device_id not in published:
            raise KeyError(f"device {device_id} is not in the published {req['ns']} list {sorted(published)}")
        del published[device_id]
        await type(sm)._upload_device_list(namespace, published)  # pylint: disable=protected-access
        await sm.update_device_list(namespace, own, published)
        return {"devices": sorted(published)}

    async def trust(self, req):
        jid = JID(req["jid"]).bare
        level = TRUST_LEVELS[req["level"]]
        sm = await self.omemo.get_session_manager()
        device = next((d for d in await sm.get_device_information(jid)
                       if d.device_id == int(req["device_id"])), None)
        if device is None:
            raise KeyError(f"no known device {req['device_id']} of {jid}")
        await sm.set_trust(jid, device.identity_key, level.value)
        return {}

    async def subscribe(self, req):
        self.xmpp.send_presence_subscription(pto=JID(req["jid"]).bare)
        return {}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--jid", required=True, help="full or bare JID; a resource is chosen by the server if bare")
    p.add_argument("--password", required=True)
    p.add_argument("--state-dir", required=True, help="OMEMO storage (omemo.json) lives here")
    p.add_argument("--ca-file", required=True, help="the server's self-signed certificate (PEM)")
    p.add_argument("--trust", choices=["btbv", "blind"], default="btbv")
    args = p.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        p.error("the test peer only connects to loopback")
    return args


async def main():
    args = parse_args()
    level = os.environ.get("SOTTO_XMPP_PEER_LOG", "INFO").upper()
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level, logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    peer = Peer(args)
    handlers = {
        "connect": peer.connect, "disconnect": peer.disconnect, "send": peer.send,
        "send_plain": peer.send_plain, "devices": peer.devices, "refresh": peer.refresh,
        "remove_device": peer.remove_device, "trust": peer.trust, "subscribe": peer.subscribe,
    }
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        if not line.strip():
            continue
        req = json.loads(line)
        cmd = req.get("cmd")
        if cmd == "quit":
            break
        try:
            handler = handlers.get(cmd)
            if handler is None:
                raise KeyError(f"unknown command {cmd!r}")
            reply = await handler(req)
            reply["ok"] = True
        except Exception as e:  # every failure goes back to the driver, typed
            log.warning("command %s failed", cmd, exc_info=True)
            reply = {"ok": False, "error": type(e).__name__, "causes": causes(e), "message": str(e),
                     "trace": traceback.format_exc(limit=4)}
        if "id" in req:
            reply["id"] = req["id"]
        emit(reply)
    if peer.xmpp.is_connected():
        try:
            await asyncio.wait_for(peer.xmpp.disconnect(), 5)
        except Exception:  # pylint: disable=broad-exception-caught
            pass


if __name__ == "__main__":
    asyncio.run(main())
