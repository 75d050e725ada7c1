"""Strips what is machine- or time-dependent from an ONNX model, so that re-running an export writes the
same bytes: the dynamo exporter annotates every node with its Python stack trace (site-packages paths,
most of the file's size) in metadata_props and doc_string.

One scrub for every ONNX file parity writes with torch.onnx: python/export.py (`parity export`) and
scripts/make_arch_fixtures.py (the committed architecture fixtures, compared byte for byte by
test/fixtures/arch-fixtures-regen.test.ts).
"""
from __future__ import annotations


def scrub(model) -> None:
    """Clears metadata_props and doc_string, in place, on an onnx.ModelProto: the model, its graph,
    every node, and every value info, input, output and initializer."""
    del model.metadata_props[:]
    model.doc_string = ""
    model.graph.doc_string = ""
    for node in model.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    graph = model.graph
    for value in list(graph.value_info) + list(graph.input) + list(graph.output) + list(graph.initializer):
        del value.metadata_props[:]
        value.doc_string = ""
