"""Admission control: the policy file shared with the CLI, pod evaluation, the AdmissionReview
v1 webhook (plain ASGI served by uvicorn) and its manifests. Nothing outside imports it but
the CLI."""

from ringfence.admission.evaluate import Decision, evaluate_pod
from ringfence.admission.policy import AdmissionPolicy, load_policy

__all__ = ["AdmissionPolicy", "Decision", "evaluate_pod", "load_policy"]
