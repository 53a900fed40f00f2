"""node.bgp: a standalone BGP-4 speaker library (stdlib only; imports nothing else of pycalico).

Layers, bottom up: ``constants`` → ``errors`` → ``capabilities`` / ``nlri`` → ``negotiate``
(``Negotiated``) → ``attributes`` → ``message`` (pure wire codecs) → ``policy`` / ``rib`` (pure
routing state) → ``fsm`` (pure) → ``session`` / ``speaker`` / ``control`` (asyncio shell).

Invariants:
* Codecs are pure functions of (bytes, Negotiated); every malformed input raises a
  ``NotificationError`` carrying the exact (code, subcode, data), or, for RFC 7606 milder cases, is
  reported on ``Update.problems``. Nothing else may escape a decoder (checked by the fuzzer).
* A prefix is ``(network int, length)``; its family comes from where it was found.
* One ``PathAttributes`` object per UPDATE is shared by all its prefixes in every RIB table.
* AS numbers are 4-octet in memory; AS_TRANS / AS4_* exist only on the wire.

Review questions: does a new attribute have a registry entry with its RFC 7606 action? Does a
new RIB path keep per-prefix work to dict operations (no per-prefix objects)?
"""
