"""References to models and datasets in code and config, DVC outputs, and how a
repository's remote becomes its key."""

from __future__ import annotations

import json

import pytest

from maestro_graph.ingest.git.references import find_references, is_hub_id
from maestro_graph.ingest.git.repository import remote_key

NO_LOCAL: frozenset[str] = frozenset()


def found(path: str, text: str, local: frozenset[str] = NO_LOCAL) -> list[tuple[str, str, str]]:
    return [(r.kind, r.source, r.name) for r in find_references(path, text, local)]


def test_hub_ids_in_python():
    code = """
tok = AutoTokenizer.from_pretrained("bert-base-uncased")
m = AutoModelForSequenceClassification.from_pretrained(pretrained_model_name_or_path='acme/churn-bert')
st = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")
clf = pipeline("text-classification", model="distilbert/distilbert-base-uncased-finetuned-sst-2-english")
ds = load_dataset("rajpurkar/squad", split="train")
local = load_dataset("csv", data_files="train.csv")
path = hf_hub_download(repo_id="acme/weights", filename="model.safetensors")
data = snapshot_download(repo_id="acme/corpus", repo_type="dataset")
mine = AutoModel.from_pretrained("./outputs/checkpoint-500")
also_mine = AutoModel.from_pretrained("outputs/final")
weights = torch.load("model.pt")
name = AutoModel.from_pretrained(model_name)
"""
    assert found("train.py", code) == [
        ("model", "huggingface", "bert-base-uncased"),
        ("model", "huggingface", "acme/churn-bert"),
        ("model", "huggingface", "sentence-transformers/all-MiniLM-L6-v2"),
        ("model", "huggingface", "distilbert/distilbert-base-uncased-finetuned-sst-2-english"),
        ("dataset", "huggingface", "rajpurkar/squad"),
        ("model", "huggingface", "acme/weights"),
        ("dataset", "huggingface", "acme/corpus"),
    ]


def test_a_value_naming_a_folder_of_the_repository_is_local():
    code = 'AutoModel.from_pretrained("acme/model")\nAutoModel.from_pretrained("finetuned")\n'
    assert found("x.py", code, frozenset({"acme", "acme/model", "finetuned"})) == []


def test_config_keys():
    yaml_text = (
        "model_name_or_path: gpt2\ndataset_name: imdb\nmodel_name: resnet50\nbase_model: meta-llama/Llama-3-8B\n"
        "tokenizer_name: ./tok\noutput_dir: runs/x\n"
    )
    assert found("train.yaml", yaml_text) == [
        ("model", "huggingface", "gpt2"),
        ("dataset", "huggingface", "imdb"),
        ("model", "huggingface", "meta-llama/Llama-3-8B"),
    ]
    json_text = json.dumps({"model_name_or_path": "roberta-base", "dataset_id": "acme/tickets"}, indent=2)
    assert found("args.json", json_text) == [
        ("model", "huggingface", "roberta-base"),
        ("dataset", "huggingface", "acme/tickets"),
    ]


def test_notebooks_read_code_cells_only():
    notebook = json.dumps(
        {
            "cells": [
                {"cell_type": "markdown", "source": 'from_pretrained("in/markdown")'},
                {"cell_type": "code", "source": ['m = AutoModel.from_pretrained("in/code")\n']},
            ]
        }
    )
    assert found("explore.ipynb", notebook) == [("model", "huggingface", "in/code")]


def test_dvc_outputs():
    dvc_file = "outs:\n- md5: abc123\n  path: ../raw/events.parquet\n- path: weights/model.onnx\n"
    references = find_references("data/prepared.dvc", dvc_file, NO_LOCAL)
    assert [(r.kind, r.name, r.version) for r in references] == [
        ("dataset", "raw/events.parquet", "abc123"),
        ("model", "data/weights/model.onnx", None),
    ]
    pipeline = (
        "stages:\n  train:\n    outs:\n      - models/clf.pkl\n      - metrics.json:\n          cache: false\n"
        "  report:\n    outs: ['${out_dir}/report.html']\n"
    )
    assert [(r.kind, r.name) for r in find_references("ml/dvc.yaml", pipeline, NO_LOCAL)] == [
        ("model", "ml/models/clf.pkl"),
        ("dataset", "ml/metrics.json"),
    ]
    assert find_references("x.dvc", "outs:\n- path: ../../outside.csv\n", NO_LOCAL) == []
    assert references[0].artifact_id("github.com/acme/r") == "dvc:github.com/acme/r/raw/events.parquet"


@pytest.mark.parametrize(
    "value, ok",
    [
        ("bert-base-uncased", True),
        ("acme/churn-bert", True),
        ("a/b/c", False),
        ("../x", False),
        ("model.bin", False),
        ("checkpoints/best", False),
        ("acme/checkpoint-200", False),
        ("bad--name", False),
        ("", False),
        ("x" * 120, False),
    ],
)
def test_what_counts_as_a_hub_id(value, ok):
    assert is_hub_id(value, NO_LOCAL) is ok


@pytest.mark.parametrize(
    "url, key",
    [
        ("https://github.com/Acme/Repo.git", "github.com/acme/repo"),
        ("https://user:token@github.com/acme/repo", "github.com/acme/repo"),
        ("git@github.com:acme/repo.git", "github.com/acme/repo"),
        ("ssh://git@gitlab.example.com:2222/group/sub/repo.git", "gitlab.example.com/group/sub/repo"),
        ("/srv/git/repo.git", None),
        ("file:///srv/git/repo.git", None),
        ("../repo", None),
        ("", None),
    ],
)
def test_remote_keys_keep_host_and_path_only(url, key):
    assert remote_key(url) == key
