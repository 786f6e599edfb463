# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at http://mozilla.org/MPL/2.0/.

"""A python-omemo peer for Sotto's interop tests, driven over stdin/stdout.

One JSON object per line in, one per line out. Every reply has "ok"; failures
carry "error" (the exception class), "causes" (the classes of its __cause__ /
__context__ chain) and "message". Binary values are base64. Namespaces are
"legacy" (eu.siacs.conversations.axolotl) and "omemo2" (urn:xmpp:omemo:2).

Commands:
  create {jid, dir}                         -> {device_id, fingerprint}
  bundle {ns}                               -> {device_id, ik, spk_id, spk, spk_sig, prekeys: [[id, b64]]}
  import {ns, jid, device_id, ik, spk_id, spk, spk_sig, prekeys}
                                            (our bundle, and the device in jid's device list)
  encrypt {ns, to, plaintext|null}          -> message
  decrypt {ns, from, message}               -> {plaintext|null, sent: [message]}
  bench {ns, n}                            -> {same_chain_us, ratchet_us}: encrypt+decrypt per
                                            message between two in-process python devices
  quit

A message is {sid, iv|null (legacy), payload|null, keys: [{jid, rid, data, kex}]}.
The peer turns it into the namespace's real XML and back with oldmemo.etree /
twomemo.etree, so the XML encodings are exercised too. python-omemo is used
only as a test peer here: none of its code is in Sotto.
"""

import asyncio
import base64
import json
import os
import sys
import traceback
import xml.etree.ElementTree as ET

import omemo
import oldmemo
import oldmemo.etree
import twomemo
import twomemo.etree

NAMESPACES = {"legacy": oldmemo.oldmemo.NAMESPACE, "omemo2": twomemo.twomemo.NAMESPACE}
ETREE = {"legacy": oldmemo.etree, "omemo2": twomemo.etree}


def b64(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def unb64(text):
    return None if text is None else base64.b64decode(text)


class JsonStorage(omemo.Storage):
    """python-omemo's storage in one JSON file in the peer's directory
    (in memory only with path None, as for the benchmark)."""

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.data = {}
        if path is not None and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                self.data = json.load(f)

    def flush(self):
        if self.path is None:
            return
        with open(self.path, "w", encoding="utf-8") as f:
            json.dump(self.data, f)

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


class Peer(omemo.SessionManager):
    """The XMPP side is replaced by in-memory maps fed by the driver."""

    bundles = {}  # (namespace, jid, device_id) -> Bundle
    device_lists = {}  # (namespace, jid) -> {device_id: None}
    uploaded = {}  # (namespace, bare_jid) -> that device's Bundle
    outbox = []  # (Message, bare_jid) sent by the library itself

    @staticmethod
    async def _upload_bundle(bundle):
        Peer.uploaded[(bundle.namespace, bundle.bare_jid)] = bundle

    @staticmethod
    async def _download_bundle(namespace, bare_jid, device_id):
        try:
            return Peer.bundles[(namespace, bare_jid, device_id)]
        except KeyError:
            raise omemo.BundleNotFound(f"no bundle for {bare_jid}/{device_id}") from None

    @staticmethod
    async def _delete_bundle(namespace, device_id):
        pass

    @staticmethod
    async def _upload_device_list(namespace, device_list):
        pass

    @staticmethod
    async def _download_device_list(namespace, bare_jid):
        return dict(Peer.device_lists.get((namespace, bare_jid), {}))

    async def _evaluate_custom_trust_level(self, device):
        return omemo.TrustLevel.TRUSTED

    async def _make_trust_decision(self, undecided, identifier):
        for device in undecided:
            await self.set_trust(device.bare_jid, device.identity_key, "trusted")

    @staticmethod
    async def _send_message(message, bare_jid):
        Peer.outbox.append((message, bare_jid))


def message_to_json(ns, message):
    """Serialises a python-omemo Message to XML, then reads the XML's values."""
    elt = ETREE[ns].serialize_message(message)
    nsb = "{" + NAMESPACES[ns] + "}"
    header = elt.find(nsb + "header")
    keys = []
    if ns == "legacy":
        for key in header.findall(nsb + "key"):
            keys.append({"jid": "", "rid": int(key.get("rid")), "data": key.text,
                         "kex": key.get("prekey") in ("true", "1")})
        iv = header.find(nsb + "iv").text
    else:
        for group in header.findall(nsb + "keys"):
            for key in group.findall(nsb + "key"):
                keys.append({"jid": group.get("jid"), "rid": int(key.get("rid")), "data": key.text,
                             "kex": key.get("kex") in ("true", "1")})
        iv = None
    payload = elt.find(nsb + "payload")
    return {"sid": int(header.get("sid")), "iv": iv,
            "payload": None if payload is None else payload.text, "keys": keys}


def json_to_element(ns, msg):
    """Builds the namespace's <encrypted/> XML from message values."""
    nsb = "{" + NAMESPACES[ns] + "}"
    elt = ET.Element(nsb + "encrypted")
    header = ET.SubElement(elt, nsb + "header", {"sid": str(msg["sid"])})
    if ns == "legacy":
        for key in msg["keys"]:
            attrs = {"rid": str(key["rid"])}
            if key["kex"]:
                attrs["prekey"] = "true"
            ET.SubElement(header, nsb + "key", attrs).text = key["data"]
        ET.SubElement(header, nsb + "iv").text = msg["iv"]
    else:
        groups = {}
        for key in msg["keys"]:
            if key["jid"] not in groups:
                groups[key["jid"]] = ET.SubElement(header, nsb + "keys", {"jid": key["jid"]})
            attrs = {"rid": str(key["rid"])}
            if key["kex"]:
                attrs["kex"] = "true"
            ET.SubElement(groups[key["jid"]], nsb + "key", attrs).text = key["data"]
    if msg.get("payload") is not None:
        ET.SubElement(elt, nsb + "payload").text = msg["payload"]
    return elt


def bundle_to_json(ns, bundle):
    elt = ETREE[ns].serialize_bundle(bundle)
    nsb = "{" + NAMESPACES[ns] + "}"
    if ns == "legacy":
        spk = elt.find(nsb + "signedPreKeyPublic")
        return {
            "ik": elt.find(nsb + "identityKey").text,
            "spk_id": int(spk.get("signedPreKeyId")),
            "spk": spk.text,
            "spk_sig": elt.find(nsb + "signedPreKeySignature").text,
            "prekeys": [[int(p.get("preKeyId")), p.text]
                        for p in elt.find(nsb + "prekeys").findall(nsb + "preKeyPublic")],
        }
    spk = elt.find(nsb + "spk")
    return {
        "ik": elt.find(nsb + "ik").text,
        "spk_id": int(spk.get("id")),
        "spk": spk.text,
        "spk_sig": elt.find(nsb + "spks").text,
        "prekeys": [[int(p.get("id")), p.text] for p in elt.find(nsb + "prekeys").findall(nsb + "pk")],
    }


def json_to_bundle_element(ns, b):
    nsb = "{" + NAMESPACES[ns] + "}"
    elt = ET.Element(nsb + "bundle")
    if ns == "legacy":
        ET.SubElement(elt, nsb + "signedPreKeyPublic", {"signedPreKeyId": str(b["spk_id"])}).text = b["spk"]
        ET.SubElement(elt, nsb + "signedPreKeySignature").text = b["spk_sig"]
        ET.SubElement(elt, nsb + "identityKey").text = b["ik"]
        pks = ET.SubElement(elt, nsb + "prekeys")
        for pk_id, key in b["prekeys"]:
            ET.SubElement(pks, nsb + "preKeyPublic", {"preKeyId": str(pk_id)}).text = key
    else:
        ET.SubElement(elt, nsb + "spk", {"id": str(b["spk_id"])}).text = b["spk"]
        ET.SubElement(elt, nsb + "spks").text = b["spk_sig"]
        ET.SubElement(elt, nsb + "ik").text = b["ik"]
        pks = ET.SubElement(elt, nsb + "prekeys")
        for pk_id, key in b["prekeys"]:
            ET.SubElement(pks, nsb + "pk", {"id": str(pk_id)}).text = key
    return elt


class Driver:
    def __init__(self):
        self.sm = None
        self.jid = None

    async def create(self, req):
        self.jid = req["jid"]
        storage = JsonStorage(os.path.join(req["dir"], "omemo.json"))
        # Both backends share one identity key (as in every python-omemo client).
        self.sm = await Peer.create(
            [twomemo.Twomemo(storage), oldmemo.Oldmemo(storage)],
            storage, self.jid, None, "trusted",
        )
        await self.sm.after_history_sync()
        own, _ = await self.sm.get_own_device_information()
        return {"device_id": own.device_id,
                "fingerprint": " ".join(self.sm.format_identity_key(own.identity_key))}

    async def bundle(self, req):
        bundle = Peer.uploaded[(NAMESPACES[req["ns"]], self.jid)]
        out = bundle_to_json(req["ns"], bundle)
        out["device_id"] = bundle.device_id
        return out

    async def import_(self, req):
        ns = req["ns"]
        namespace = NAMESPACES[ns]
        elt = json_to_bundle_element(ns, req)
        bundle = ETREE[ns].parse_bundle(elt, req["jid"], req["device_id"])
        Peer.bundles[(namespace, req["jid"], req["device_id"])] = bundle
        devices = Peer.device_lists.setdefault((namespace, req["jid"]), {})
        devices[req["device_id"]] = None
        await self.sm.update_device_list(namespace, req["jid"], dict(devices))
        return {}

    async def encrypt(self, req):
        ns = req["ns"]
        namespace = NAMESPACES[ns]
        plaintext = unb64(req.get("plaintext"))
        if plaintext is None:
            # An empty (key transport) message, as python-omemo sends to complete sessions.
            return await self.empty(req)
        messages, errors = await self.sm.encrypt(frozenset([req["to"]]), {namespace: plaintext}, [namespace])
        message = next(m for m in messages if m.namespace == namespace)
        out = message_to_json(ns, message)
        out["errors"] = [repr(e) for e in errors]
        return out

    async def empty(self, req):
        ns = req["ns"]
        namespace = NAMESPACES[ns]
        backend = next(b for b in self.sm._SessionManager__backends if b.namespace == namespace)
        session = await backend.load_session(req["to"], req["device_id"])
        if session is None:
            raise omemo.NoSession(f"no session with {req['to']}/{req['device_id']}")
        Peer.outbox.clear()
        await self.sm._SessionManager__send_empty_message(backend, session)
        message, _ = Peer.outbox.pop()
        return message_to_json(ns, message)

    async def decrypt(self, req):
        ns = req["ns"]
        elt = json_to_element(ns, req["message"])
        if ns == "legacy":
            message = await oldmemo.etree.parse_message(elt, req["from"], self.jid, self.sm)
        else:
            message = twomemo.etree.parse_message(elt, req["from"])
        Peer.outbox.clear()
        plaintext, _device, key_material = await self.sm.decrypt(message)
        sent = [message_to_json(ns, m) for m, _ in Peer.outbox if m.namespace == NAMESPACES[ns]]
        Peer.outbox.clear()
        return {"plaintext": b64(plaintext), "sent": sent}


async def make_device(jid):
    storage = JsonStorage(None)
    sm = await Peer.create([twomemo.Twomemo(storage), oldmemo.Oldmemo(storage)],
                           storage, jid, None, "trusted")
    await sm.after_history_sync()
    return sm


async def bench(req):
    """The same operations as Sotto's criterion bench, in python-omemo, no XML."""
    import time
    namespace = NAMESPACES[req["ns"]]
    n = int(req["n"])
    a = await make_device("bench-a@example.org")
    b = await make_device("bench-b@example.org")
    for sm, jid in ((a, "bench-a@example.org"), (b, "bench-b@example.org")):
        own, _ = await sm.get_own_device_information()
        for ns in NAMESPACES.values():
            Peer.bundles[(ns, jid, own.device_id)] = Peer.uploaded[(ns, jid)]
            Peer.device_lists[(ns, jid)] = {own.device_id: None}
    for sm in (a, b):
        for jid in ("bench-a@example.org", "bench-b@example.org"):
            await sm.update_device_list(namespace, jid, dict(Peer.device_lists[(namespace, jid)]))
    body = b"a typical chat message of moderate length, with an SCE envelope around it"

    async def send(src, dst_jid, dst, deliver_empty=False):
        messages, _ = await src.encrypt(frozenset([dst_jid]), {namespace: body}, [namespace])
        message = next(m for m in messages if m.namespace == namespace)
        Peer.outbox.clear()
        await dst.decrypt(message)
        sent = list(Peer.outbox)
        Peer.outbox.clear()
        for m, _ in sent if deliver_empty else []:  # the empty message completing a new session
            await src.decrypt(m)

    await send(a, "bench-b@example.org", b, deliver_empty=True)
    await send(b, "bench-a@example.org", a)
    # Longer runs on one chain make python-omemo add "staleness" empty messages.
    n = min(n, 50)
    start = time.perf_counter()
    for _ in range(n):
        await send(a, "bench-b@example.org", b)
    same = (time.perf_counter() - start) / n
    start = time.perf_counter()
    pair = [(a, "bench-b@example.org", b), (b, "bench-a@example.org", a)]
    for i in range(n):
        await send(*pair[i % 2])
    ratchet = (time.perf_counter() - start) / n
    return {"same_chain_us": same * 1e6, "ratchet_us": ratchet * 1e6}


def causes(e):
    out, seen = [], set()
    cur = e.__cause__ or e.__context__
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        out.append(type(cur).__name__)
        cur = cur.__cause__ or cur.__context__
    return out


async def main():
    driver = Driver()
    handlers = {"create": driver.create, "bundle": driver.bundle, "import": driver.import_,
                "encrypt": driver.encrypt, "decrypt": driver.decrypt, "bench": bench}
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        req = json.loads(line)
        if req.get("cmd") == "quit":
            break
        try:
            reply = await handlers[req["cmd"]](req)
            reply["ok"] = True
        except Exception as e:  # every failure goes back to the driver, typed
            reply = {"ok": False, "error": type(e).__name__, "causes": causes(e), "message": str(e),
                     "trace": traceback.format_exc(limit=3)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
