"""The provenance section of the image report: a JSON-ready document built from
ProvenanceFacts (the report layer imports only model, so it receives plain data)."""

from __future__ import annotations

from typing import Any

from ringfence.trust.provenance import OCI_KEYS, AttestationResult, ProvenanceFacts

SECTION = "provenance"


def _allow_list(f: ProvenanceFacts) -> dict[str, Any]:
    ref = f.reference
    if not f.trusted:
        state = "not evaluated: no --trusted-registry"
    elif f.remote and ref is not None:
        state = "evaluated"
    else:
        kind = ref.transport if ref else "unknown"
        state = (f"not evaluated: {kind}: is a local transport with no registry "
                 "(see base.name / ref.name)")
    return {"trusted": list(f.trusted), "state": state,
            "registry": f"{ref.registry}/{ref.repository}" if f.remote and ref else None}


def _attestation(a: AttestationResult) -> dict[str, Any]:
    st = a.statement
    prov = st.provenance if st else None
    return {
        "where": a.where,
        "verified": a.verified,
        "problem": a.problem,
        "statement_type": st.type if st else None,
        "predicate_type": st.predicate_type if st else None,
        "subjects": [{"name": s.name, "digests": list(s.oci_digests())}
                     for s in (st.subjects if st else ())],
        "builder_id": prov.builder_id if prov else None,
        "build_type": prov.build_type if prov else None,
        "source_repository": prov.source_repository if prov else None,
        "source_revision": prov.source_revision if prov else None,
    }


def provenance_section(f: ProvenanceFacts) -> dict[str, Any]:
    oci = {}
    for key in OCI_KEYS:
        found = f.oci(key)
        if found is not None:
            oci[f"org.opencontainers.image.{key}"] = {"value": found[0], "from": found[1]}
    verdict = f.verdict
    return {
        "allow_list": _allow_list(f),
        "oci": oci,
        "history": [{"layer": h.layer, "created": h.created, "created_by": h.created_by,
                     "author": h.author, "comment": h.comment, "empty_layer": h.empty_layer}
                    for h in f.history],
        "attestations": [_attestation(a) for a in f.attestations],
        "policy": None if verdict is None else {
            "allowed": verdict.allowed, "scope": verdict.scope,
            "requirements": [{"type": r.type, "accepted": r.accepted, "reason": r.reason}
                             for r in verdict.results]},
        "notes": list(f.notes),
    }
