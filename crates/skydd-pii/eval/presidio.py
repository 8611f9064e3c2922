#!/usr/bin/env python3
"""Presidio beside skydd-pii on the same corpus, scored the way `src/evaluation.rs` scores.

Reads the corpus that `SKYDD_PII_CORPUS_OUT=path cargo bench -p skydd-pii` writes (one JSON
document a line: `text`, `labels` with `kind`, `start`, `end` in BYTES, `template`, `split`,
`language`, `names`) and what `scan` found in each document (`SKYDD_PII_FINDINGS_OUT`, same
order), runs presidio-analyzer on a sample of it, and prints per kind span-level precision,
recall and F2 (IoU >= 0.75, one label matches one finding) for both, and both throughputs.

The scoring is `evaluation.rs` line for line: spans are compared in bytes (Presidio's character
offsets are turned into byte offsets of the same text), findings are taken in order of their
start and each takes the unmatched label of its kind with the highest IoU (the last of equal
ones, as Rust's `max_by` does). `--bench-output` checks that: Skydd's findings scored here
must give the table the benchmark printed, count for count.

Presidio is given what it can be given (see `BENCHMARKS.md`):
- No NER model. spaCy's trained pipelines are not on PyPI (`spacy download` fetches them from
  elsewhere) and this project reaches package registries only; copies of `en-core-web-sm`
  uploaded to PyPI by third parties are not used: nothing vouches for what they contain. So
  Presidio's NLP engine is a blank spaCy pipeline per language, a tokenizer and the lookup
  lemmatizer of `spacy-lookups-data` (so its context words work), saved to disk and loaded by
  path. Without NER, Presidio finds no PERSON or LOCATION by itself.
- Names: the subject's names as a per-document ad-hoc PatternRecognizer (PERSON), the whole
  name and its first and last word, any case, any white space between the words, a genitive
  allowed after: what `Context::with_name` gives `scan`.
- `sv` as a supported language, with every recognizer used instantiated for `sv` and `en`:
  e-mail, credit card, IBAN, IP, phone, and the Swedish SePersonnummerRecognizer and
  SeOrganisationsnummerRecognizer (shipped disabled and for `sv` only) for both languages.
  Each document runs in its own language. Context words: each recognizer's own plus the
  words skydd-pii's recognizers look for (single words: Presidio matches a context word
  against one token).
- SE_PERSONNUMMER is a samordningsnummer when its day is 61 or more (Presidio's recognizer
  accepts both under one entity; the day is how it tells them apart).
- The phone recognizer's regions (python-phonenumbers) and, per kind, a score threshold and
  whether overlapping results of different kinds are settled (the highest score, then the
  longest, keeps its span) are chosen by F2 on the TUNING split; the table is the TEST split.
  Kinds with no Presidio recognizer (address) are shown as "—".

Throughput: Presidio is timed on the test sample (`--test-kb`, one pass after a warm-up, one
thread) and its MB/min is that sample's bytes over that time; Skydd's is the benchmark's, best
of three passes over the whole corpus, read from `--bench-output`.
"""

from __future__ import annotations

import os

# One core: no library may start threads of its own.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import logging
import platform
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import regex
import spacy
import tldextract

# The e-mail recognizer checks top-level domains with tldextract, which would fetch the public
# suffix list from the network first; use the snapshot the package ships.
tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())

from presidio_analyzer import (
    AnalyzerEngine,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
)
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    SeOrganisationsnummerRecognizer,
    SePersonnummerRecognizer,
)

MIN_IOU = 0.75

# `Kind` in the order of `finding.rs` (the table's order, and the tie-break when overlaps are
# settled: the earlier kind wins, as in `scan`).
KINDS = [
    "personnummer",
    "samordningsnummer",
    "card",
    "iban",
    "email",
    "phone",
    "organisationsnummer",
    "ip_address",
    "address",
    "name",
]
KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}
# Kinds Presidio has no recognizer for. LOCATION would need an NER model, and names a town,
# not a street address.
NO_RECOGNIZER = {"address"}

LANGUAGES = {"swedish": "sv", "english": "en"}

ENTITY_KIND = {
    "EMAIL_ADDRESS": "email",
    "CREDIT_CARD": "card",
    "IBAN_CODE": "iban",
    "IP_ADDRESS": "ip_address",
    "SE_ORGANISATIONSNUMMER": "organisationsnummer",
    "PERSON": "name",
    # SE_PERSONNUMMER: personnummer or samordningsnummer, by its day.
    # PHONE_NUMBER and its variants: phone.
}

# The EU/EEA, Switzerland and the United Kingdom: the countries skydd-pii's phone recognizer
# knows, Sweden first.
EUROPE = (
    "SE", "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "IS", "LI", "NO",
    "CH", "GB",
)  # fmt: skip
# Phone recognizer variants: regions and python-phonenumbers leniency (0 possible, 1 valid).
PHONE_VARIANTS = {
    "SE": (("SE",), 1),
    "SE, leniency 0": (("SE",), 0),
    "Presidio's default regions + SE": (PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS + ("SE",), 1),
    "EU/EEA, CH, GB": (EUROPE, 1),
}

# Context words: the recognizer's own, and single words of those skydd-pii looks for.
CONTEXT = {
    "SE_PERSONNUMMER": SePersonnummerRecognizer.CONTEXT
    + ["personnummer", "personnr", "pnr", "p-nr", "personal", "identity", "samordningsnummer",
       "coordination", "födelsenummer", "ssn", "social"],
    "SE_ORGANISATIONSNUMMER": SeOrganisationsnummerRecognizer.CONTEXT
    + ["org.nr", "orgnr", "org", "organisationsnummer", "organisationsnr", "corporate",
       "company", "registration"],
    "PHONE_NUMBER": PhoneRecognizer.CONTEXT
    + ["tel", "telefon", "telefonnummer", "mobil", "mobilnummer", "ring", "sms", "tfn", "fax",
       "whatsapp", "cell"],
    "CREDIT_CARD": CreditCardRecognizer.CONTEXT
    + ["kort", "kortet", "kortnummer", "card", "visa", "mastercard", "amex", "maestro", "pan"],
    "IBAN_CODE": IbanRecognizer.CONTEXT + ["iban", "konto", "kontonummer", "bankkonto"],
    "EMAIL_ADDRESS": EmailRecognizer.CONTEXT + ["e-post", "epost", "mejl", "mail", "e-mail"],
    "IP_ADDRESS": IpRecognizer.CONTEXT + ["ip", "host", "server", "adress", "address"],
}  # fmt: skip


# --- scoring, as src/evaluation.rs ------------------------------------------------------------


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    intersection = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    if union == 0 or a[0] >= a[1] or b[0] >= b[1]:
        return 0.0
    return intersection / union


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def f2(self) -> float | None:
        p, r = self.precision(), self.recall()
        if p is None or r is None:
            return None
        if p + r == 0:
            return 0.0
        return 5 * p * r / (4 * p + r)

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


class Evaluation:
    def __init__(self) -> None:
        self.scores: dict[str, Score] = {}

    def add(self, findings: list[tuple[str, int, int]], labels: list[tuple[str, int, int]]):
        """`findings` and `labels` as (kind, start, end) in bytes; findings in scan order."""
        matched = [False] * len(labels)
        for kind, start, end in findings:
            best, best_iou = None, 0.0
            for i, (label_kind, label_start, label_end) in enumerate(labels):
                if matched[i] or label_kind != kind:
                    continue
                overlap = iou((start, end), (label_start, label_end))
                # `max_by` keeps the last of equal maxima.
                if overlap >= MIN_IOU and (best is None or overlap >= best_iou):
                    best, best_iou = i, overlap
            score = self.scores.setdefault(kind, Score())
            if best is None:
                score.fp += 1
            else:
                matched[best] = True
                score.tp += 1
        for (kind, _, _), m in zip(labels, matched):
            if not m:
                self.scores.setdefault(kind, Score()).fn += 1

    def score(self, kind: str) -> Score:
        return self.scores.get(kind, Score())

    def kinds(self) -> list[str]:
        return sorted(self.scores, key=KIND_ORDER.__getitem__)

    def total(self) -> Score:
        total = Score()
        for score in self.scores.values():
            total.add(score)
        return total


def shown(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


# --- corpus -------------------------------------------------------------------------------------


@dataclass
class Document:
    index: int
    text: str
    labels: list[tuple[str, int, int]]
    split: str
    language: str
    names: list[str]
    skydd: list[tuple[str, int, int]]

    @property
    def size(self) -> int:
        return len(self.text.encode())


def read_corpus(corpus: Path, findings: Path) -> list[Document]:
    documents = []
    with corpus.open(encoding="utf-8") as c, findings.open(encoding="utf-8") as f:
        for index, (line, found) in enumerate(zip(c, f, strict=True)):
            d = json.loads(line)
            documents.append(
                Document(
                    index=index,
                    text=d["text"],
                    labels=[(x["kind"], x["start"], x["end"]) for x in d["labels"]],
                    split=d["split"],
                    language=LANGUAGES[d["language"]],
                    names=d["names"],
                    skydd=[
                        (x["kind"], x["start"], x["end"]) for x in json.loads(found)["findings"]
                    ],
                )
            )
    return documents


def sample(documents: list[Document], split: str, target_bytes: int) -> tuple[list[Document], int]:
    """Every k-th document of `split`, k chosen to give about `target_bytes` of text; and k."""
    of_split = [d for d in documents if d.split == split]
    total = sum(d.size for d in of_split)
    step = max(1, total // max(1, target_bytes))
    return of_split[::step], step


def byte_offsets(text: str) -> list[int]:
    """The byte offset of every character index (and of the end)."""
    offsets = [0] * (len(text) + 1)
    at = 0
    for i, c in enumerate(text):
        offsets[i] = at
        at += len(c.encode())
    offsets[len(text)] = at
    return offsets


# --- Presidio -----------------------------------------------------------------------------------


def blank_pipelines(directory: Path) -> dict[str, str]:
    """A tokenizer and lookup lemmatizer per language, saved to disk; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for lang in ("en", "sv"):
        path = directory / f"blank-{lang}-lookup-lemmas"
        if not (path / "config.cfg").exists():
            nlp = spacy.blank(lang)
            nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            nlp.initialize()
            nlp.to_disk(path)
        paths[lang] = str(path)
    return paths


def recognizers(lang: str, phone_variants: dict[str, tuple[tuple[str, ...], int]]):
    def ctx(entity):
        return list(dict.fromkeys(CONTEXT[entity]))

    out = [
        EmailRecognizer(supported_language=lang, context=ctx("EMAIL_ADDRESS")),
        CreditCardRecognizer(supported_language=lang, context=ctx("CREDIT_CARD")),
        IbanRecognizer(supported_language=lang, context=ctx("IBAN_CODE")),
        IpRecognizer(supported_language=lang, context=ctx("IP_ADDRESS")),
        SePersonnummerRecognizer(supported_language=lang, context=ctx("SE_PERSONNUMMER")),
        SeOrganisationsnummerRecognizer(
            supported_language=lang, context=ctx("SE_ORGANISATIONSNUMMER")
        ),
    ]
    for entity, (regions, leniency) in phone_variants.items():
        out.append(
            PhoneRecognizer(
                supported_language=lang,
                supported_entity=entity,
                supported_regions=regions,
                leniency=leniency,
                context=ctx("PHONE_NUMBER"),
                name=f"PhoneRecognizer {entity}",
            )
        )
    return out


def engine(models: dict[str, str], phone_variants) -> tuple[AnalyzerEngine, list[str]]:
    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": lang, "model_name": path} for lang, path in models.items()],
        }
    ).create_engine()
    registry = RecognizerRegistry(supported_languages=["en", "sv"])
    for lang in ("en", "sv"):
        for recognizer in recognizers(lang, phone_variants):
            registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(
        registry=registry, nlp_engine=nlp_engine, supported_languages=["en", "sv"]
    )
    entities = [
        "EMAIL_ADDRESS",
        "CREDIT_CARD",
        "IBAN_CODE",
        "IP_ADDRESS",
        "SE_PERSONNUMMER",
        "SE_ORGANISATIONSNUMMER",
        "PERSON",
        *phone_variants,
    ]
    return analyzer, entities


def name_recognizer(names: list[str], lang: str) -> PatternRecognizer | None:
    """The subject's names as `Context::with_name` has them: whole, and first and last word."""
    variants = []
    for name in names:
        words = name.split()
        if len(words) < 2:
            continue
        for variant in ([words[0], words[-1]], words) if len(words) > 2 else (words,):
            if variant not in variants:
                variants.append(variant)
    if not variants:
        return None
    alternatives = "|".join(r"\s+".join(regex.escape(w) for w in v) for v in variants)
    pattern = rf"(?<!\w)(?:{alternatives})(?=(?:'?s)?(?!\w))"
    return PatternRecognizer(
        supported_entity="PERSON",
        supported_language=lang,
        patterns=[Pattern("subject's name", pattern, 0.85)],
        name="subject names",
    )


@dataclass
class Result:
    entity: str  # Presidio's entity type (a phone variant's name for phone numbers)
    kind: str
    start: int  # bytes
    end: int
    score: float


def kind_of(entity: str, text: str) -> str | None:
    if entity in ENTITY_KIND:
        return ENTITY_KIND[entity]
    if entity == "SE_PERSONNUMMER":
        digits = "".join(c for c in text if c.isdigit())[-10:]
        return (
            "samordningsnummer" if len(digits) == 10 and int(digits[4:6]) >= 61 else "personnummer"
        )
    if entity.startswith("PHONE"):
        return "phone"
    return None


def analyze(analyzer, entities, documents: list[Document]) -> tuple[list[list[Result]], float]:
    """Presidio's results for every document, and the seconds the analyses took."""
    out = []
    elapsed = 0.0
    for d in documents:
        ad_hoc = name_recognizer(d.names, d.language)
        started = time.perf_counter()
        found = analyzer.analyze(
            text=d.text,
            language=d.language,
            entities=entities,
            score_threshold=0.0,
            ad_hoc_recognizers=[ad_hoc] if ad_hoc else None,
        )
        elapsed += time.perf_counter() - started
        offsets = byte_offsets(d.text) if not d.text.isascii() else None
        results = []
        for r in found:
            kind = kind_of(r.entity_type, d.text[r.start : r.end])
            if kind is None:
                continue
            start, end = (offsets[r.start], offsets[r.end]) if offsets else (r.start, r.end)
            results.append(Result(r.entity_type, kind, start, end, r.score))
        out.append(results)
    return out, elapsed


def settle(results: list[Result]) -> list[Result]:
    """Overlapping results: the highest score, then the longest, then the earlier kind keeps it."""
    kept: list[Result] = []
    for r in sorted(
        results, key=lambda r: (-r.score, r.start - r.end, KIND_ORDER[r.kind], r.start)
    ):
        if all(r.end <= k.start or k.end <= r.start for k in kept):
            kept.append(r)
    return kept


@dataclass(frozen=True)
class Config:
    threshold: float
    settle: bool

    def describe(self) -> str:
        return f"≥ {self.threshold:g}" + (", overlaps settled" if self.settle else "")


def findings(
    results: list[Result], config: Config, phone: str | None
) -> list[tuple[str, int, int]]:
    chosen = [
        r
        for r in results
        if r.score >= config.threshold and (r.kind != "phone" or phone is None or r.entity == phone)
    ]
    if config.settle:
        chosen = settle(chosen)
    chosen.sort(key=lambda r: (r.start, r.end, KIND_ORDER[r.kind]))
    return [(r.kind, r.start, r.end) for r in chosen]


def evaluate(documents, results, config: Config, phone: str | None) -> Evaluation:
    evaluation = Evaluation()
    for d, r in zip(documents, results):
        evaluation.add(findings(r, config, phone), d.labels)
    return evaluation


def key(score: Score, config: Config):
    """What makes a configuration better: F2, then precision, then a lower threshold, unsettled."""
    return (score.f2() or 0.0, score.precision() or 0.0, -config.threshold, not config.settle)


def configs(results: list[list[Result]]) -> list[Config]:
    scores = sorted({0.0} | {r.score for rs in results for r in rs})
    return [Config(t, s) for t in scores for s in (False, True)]


# --- output -------------------------------------------------------------------------------------


def prf(score: Score) -> str:
    return f"{shown(score.precision())} / {shown(score.recall())} / {shown(score.f2())}"


def bench_rows(
    bench_output: str,
) -> tuple[dict[str, tuple[int, int, str, str, str]], dict[str, float]]:
    """The test table and the throughput rows of the benchmark's output."""
    test_table: dict[str, tuple[int, int, str, str, str]] = {}
    section = None
    per_minute = {}
    for line in bench_output.splitlines():
        if line.startswith("Quality on the test templates"):
            section = "test"
        elif line.startswith("Quality on the tuning templates"):
            section = None
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if section == "test" and len(cells) == 6 and cells[1].isdigit():
            test_table[cells[0]] = (int(cells[1]), int(cells[2]), cells[3], cells[4], cells[5])
        if line.startswith("| `scan`") and len(cells) == 4:
            per_minute[cells[0]] = float(cells[2])
    return test_table, per_minute


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--skydd-findings", type=Path, required=True)
    parser.add_argument("--bench-output", type=Path, help="what `cargo bench -p skydd-pii` printed")
    parser.add_argument("--work", type=Path, required=True, help="where the blank pipelines go")
    parser.add_argument(
        "--tuning-kb", type=int, default=400, help="text to choose the configuration on"
    )
    parser.add_argument(
        "--test-kb", type=int, default=1000, help="text to score and time Presidio on"
    )
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args()

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)

    documents = read_corpus(args.corpus, args.skydd_findings)
    test_all = [d for d in documents if d.split == "test"]
    out: dict = {"presidio": {}, "skydd": {}}

    # Skydd's findings scored here must give the benchmark's own table.
    if args.bench_output:
        bench_text = args.bench_output.read_text(encoding="utf-8")
        rust_table, per_minute = bench_rows(bench_text)
        check = Evaluation()
        for d in test_all:
            check.add(d.skydd, d.labels)
        python_table = {}
        for kind in check.kinds() + ["all"]:
            s = check.total() if kind == "all" else check.score(kind)
            python_table[kind] = (
                s.tp + s.fn, s.tp + s.fp, shown(s.precision()), shown(s.recall()), shown(s.f2())
            )  # fmt: skip
        if python_table != rust_table:
            print(
                "Skydd's findings scored here do not give evaluation.rs's table:", file=sys.stderr
            )
            print(python_table, rust_table, sep="\n", file=sys.stderr)
            return 1
        print(
            f"Check: Skydd's findings on all {len(test_all):,} test documents, scored by this script, "
            "give the table evaluation.rs printed, count for count."
        )
    else:
        per_minute = {}

    tuning, tuning_step = sample(documents, "tuning", args.tuning_kb * 1000)
    test, test_step = sample(documents, "test", args.test_kb * 1000)
    models = blank_pipelines(args.work)

    # Choose on the tuning sample: the phone variant by its F2 on phone numbers, then per kind
    # the threshold and whether overlaps are settled.
    variants = {f"PHONE_NUMBER {name}": value for name, value in PHONE_VARIANTS.items()}
    analyzer, entities = engine(models, variants)
    started = time.perf_counter()
    tuning_results, _ = analyze(analyzer, entities, tuning)
    tuning_seconds = time.perf_counter() - started
    candidates = configs(tuning_results)
    phone_scores = {}
    for variant in variants:
        scored = [
            (evaluate(tuning, tuning_results, c, variant).score("phone"), c) for c in candidates
        ]
        phone_scores[variant] = max(scored, key=lambda sc: key(*sc))
    phone = max(phone_scores, key=lambda v: key(*phone_scores[v]))
    per_config = {c: evaluate(tuning, tuning_results, c, phone) for c in candidates}
    chosen = {}
    for kind in KINDS:
        if kind in NO_RECOGNIZER:
            continue
        chosen[kind] = max(candidates, key=lambda c: key(per_config[c].score(kind), c))

    # Score and time on the test sample, with only the chosen phone variant.
    regions, leniency = variants[phone]
    analyzer, entities = engine(models, {"PHONE_NUMBER": (regions, leniency)})
    analyze(analyzer, entities, test[:50])  # warm up
    test_results, seconds = analyze(analyzer, entities, test)
    for rs in test_results:
        for r in rs:
            if r.entity == "PHONE_NUMBER":
                r.entity = phone
    presidio = {}
    for kind, config in chosen.items():
        presidio[kind] = evaluate(test, test_results, config, phone).score(kind)
    skydd = Evaluation()
    for d in test:
        skydd.add(d.skydd, d.labels)

    test_bytes = sum(d.size for d in test)
    presidio_per_minute = test_bytes / 1e6 / seconds * 60
    skydd_per_minute = per_minute.get("`scan`, the subject's name in the context")

    label_count = {k: skydd.score(k).tp + skydd.score(k).fn for k in KINDS}
    tuning_mb = sum(d.size for d in tuning) / 1e6
    print()
    print(
        f"Presidio {metadata.version('presidio-analyzer')} (spaCy {metadata.version('spacy')}, "
        f"phonenumbers {metadata.version('phonenumbers')}, Python {platform.python_version()}) "
        "with blank spaCy pipelines: a tokenizer and lookup lemmas, NO NER model (none can be "
        "installed from PyPI), so no PERSON or LOCATION of its own; the subject's names as an "
        "ad-hoc recognizer, as `scan` gets them."
    )
    print()
    print(
        f"Configuration chosen on {len(tuning):,} tuning documents ({tuning_mb:.2f} MB, every "
        f"{tuning_step}th of the tuning split; {tuning_seconds:.0f} s). F2 of the phone "
        "recognizer's variants there:"
    )
    print()
    print("| phone regions, leniency | F2 on tuning | at |")
    print("|---|---:|---|")
    for variant, (score, config) in phone_scores.items():
        mark = " (used)" if variant == phone else ""
        name = variant.removeprefix("PHONE_NUMBER ")
        print(f"| {name}{mark} | {shown(score.f2())} | {config.describe()} |")
    print()
    print(
        f"Scored on {len(test):,} test documents ({test_bytes / 1e6:.2f} MB, every {test_step}th "
        "of the test split), Skydd on the same documents (IoU ≥ 0.75, P / R / F2):"
    )
    print()
    print("| kind | labels | Skydd P / R / F2 | Presidio P / R / F2 | Presidio's threshold |")
    print("|---|---:|---|---|---|")
    presidio_all = Score()
    for kind in KINDS:
        if kind in NO_RECOGNIZER:
            p, how = "— (no recognizer)", "—"
        else:
            presidio_all.add(presidio[kind])
            p, how = prf(presidio[kind]), chosen[kind].describe()
        print(f"| {kind} | {label_count[kind]:,} | {prf(skydd.score(kind))} | {p} | {how} |")
    # Labels of kinds Presidio has no recognizer for are missed, as in `Evaluation::total`.
    presidio_total = Score(
        presidio_all.tp,
        presidio_all.fp,
        presidio_all.fn + sum(label_count[k] for k in NO_RECOGNIZER),
    )
    print(
        f"| all | {sum(label_count.values()):,} | {prf(skydd.total())} | {prf(presidio_total)} "
        "| per kind |"
    )
    print()
    print("| throughput, one core, this run | text | time | MB/min |")
    print("|---|---:|---:|---:|")
    if skydd_per_minute is not None:
        mb = sum(d.size for d in documents) / 1e6
        print(
            f"| Skydd `scan`, the subject's names in the context | {mb:.0f} MB, best of 3 "
            f"| see above | {skydd_per_minute:,.0f} |"
        )
    print(
        f"| Presidio `analyze`, the configuration above | {test_bytes / 1e6:.2f} MB "
        f"| {seconds:.1f} s | {presidio_per_minute:,.2f} |"
    )
    if skydd_per_minute is not None:
        print()
        print(
            f"Skydd reads {skydd_per_minute / presidio_per_minute:,.0f} times as much text a "
            "minute as Presidio on one core."
        )

    out["presidio"] = {
        "version": metadata.version("presidio-analyzer"),
        "phone_regions": phone,
        "config": {k: c.describe() for k, c in chosen.items()},
        "scores": {k: vars(s) for k, s in presidio.items()},
        "mb_per_minute": presidio_per_minute,
        "test_documents": len(test),
        "test_bytes": test_bytes,
        "tuning_documents": len(tuning),
        "phone_variants_on_tuning": {
            v: {"f2": s.f2(), "config": c.describe()} for v, (s, c) in phone_scores.items()
        },
    }
    out["skydd"] = {
        "scores": {k: vars(skydd.score(k)) for k in skydd.kinds()},
        "mb_per_minute": skydd_per_minute,
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
