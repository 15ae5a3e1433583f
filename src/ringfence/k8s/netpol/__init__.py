"""NetworkPolicy semantics as Kubernetes defines them: who may reach whom, on which ports."""
