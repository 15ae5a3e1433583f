"""``ringfence fleet``: many images on a Dask cluster, each unique layer analysed once.

Stages joined by values: ``refs`` (what to scan: a list, a file, a registry's catalogue) →
``tasks.resolve`` (manifest digest and layer descriptors; images deduplicated by digest) →
``tasks.analyse_layer`` (the layer cache's own lookup and the single-pass layer analysis,
one Dask task per unique layer, keyed by its digests so Dask itself deduplicates) →
``tasks.scan_one`` (the merge ``ringfence image`` uses, then checks and matching) →
``document`` (JSON and table). ``run`` builds the graph; ``cluster`` connects to a
scheduler or starts a local one. Dask is imported only here (the ``fleet`` extra).
"""
