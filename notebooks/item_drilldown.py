# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
# Report parameters. `imr-analytics report item_drilldown -p NAME VALUE` overrides them; in
# JupyterLab edit them here and run all cells. Types are checked before anything is computed.
# A relative db_path is looked up from the working directory upwards, then the repo root.
db_path: str = "data/demo.duckdb"  # DuckDB database built by imr-analytics load
category: str | None = "Pharmaceuticals"  # treatment category to drill into (None: any)
item_pattern: str | None = None  # disputed item, e.g. "norco": exact, else all containing it
treatment: str | None = None  # one treatment, e.g. "mri" or "acetaminophen / hydrocodone · oral"
ingredient: str | None = None  # a generic ingredient, e.g. "tramadol" (pharmaceutical items)
body_region: str | None = None  # a body region, e.g. "lumbar spine"
date_from: str | None = None  # first decision date, YYYY-MM-DD (None: first letter)
date_to: str | None = None  # last decision date, YYYY-MM-DD (None: last letter)
specialties: list[str] = []  # reviewer specialties to keep (empty: all)
period: str = "year"  # time grain of the trend: year, quarter or month
interval: str = "korn-graubard"  # 95% interval on the effective n: korn-graubard or wilson
include_text: bool = False  # show a sample of reviewers' rationales (letter text, escaped)
sample_size: int = 8  # rationales in the sample when include_text is true (1 to 200)
seed: int = 0  # random seed of the rationale sample, for a reproducible report
title: str = "IMR item drilldown"  # report title

# %%
from imr_analytics.analytics import rate_bars, rate_trend, source_heatmap  # noqa: E402
from imr_analytics.reports.nbkit import Report, fmt_count  # noqa: E402

rep = Report.open("item_drilldown", globals())
# a treatment, ingredient or body region as stored (the parameter matched loosely)
named = [rep.where[k][0] for k in ("treatment", "ingredient", "body_region") if k in rep.where]
subject = ", ".join(named) or item_pattern or category or "all disputed items"
rep.title_block(f"Drilldown: {subject}")
patterns = rep.where.get("item_pattern")
if item_pattern and patterns and patterns != [item_pattern.strip().lower()]:
    rep.note(
        f"No item is exactly '{item_pattern}'; this report covers the {len(patterns)} "
        "disputed item patterns containing it (listed below)."
    )

# %%
overall = rep.rates()
totals = rep.volumes(None)


def _first(df, column):
    return df[column].iloc[0] if not df.empty else None


headline = [
    ("Letters", fmt_count(_first(totals, "n_letters"))),
    ("Decided items", fmt_count(_first(totals, "n_items"))),
    ("Uphold rate", rep.rate_text(overall)),
    ("95% interval", rep.interval_text(overall)),
]
rep.headline(headline)
by_reviewer_source = rep.rates("reviewer_source")
rep.email_summary(
    headline,
    rep.rate_table_html(
        by_reviewer_source, caption="Uphold rate by the reviewer's guideline", digest=True
    ),
    subject=f"{rep.params['title']}: {subject}, {rep.subject_rate(overall)}",
)

# %%
rep.coverage_section()

# %%
rep.heading("Over time", f"Uphold rate per decision {rep.period} with its 95% interval.")
trend = rep.rates(rep.period_dim)
rep.chart(trend, rate_trend, title=f"Uphold rate by decision {rep.period}", email=True)
rep.rate_table(trend, caption=f"By decision {rep.period}")

# %%
rep.heading(
    "By guideline",
    "Primary guideline family cited by the reviewer and by utilization review (the claims "
    "administrator), and the two together.",
)
rep.chart(
    by_reviewer_source,
    rate_bars,
    title="Uphold rate by the reviewer's guideline source",
    email=True,
)
rep.rate_table(by_reviewer_source, caption="By the reviewer's primary guideline source")
rep.rate_table(rep.rates("ca_source"), caption="By UR's primary guideline source")
cross = rep.rates(["ca_source", "reviewer_source"])
rep.chart(cross, source_heatmap, title="Uphold rate: UR's source x reviewer's source")

# %%
rep.heading(
    "MTUS chapters cited",
    "MTUS chapters (with their year) that the reviewer cited for these items, and those UR "
    "cited. An item citing two chapters counts under both.",
)
chapters = rep.rates("mtus_chapter")
rep.chart(chapters, rate_bars, title="Uphold rate by MTUS chapter the reviewer cited")
rep.rate_table(chapters, caption="By MTUS chapter cited by the reviewer")
rep.rate_table(rep.rates("ca_mtus_chapter"), caption="By MTUS chapter cited by UR")

# %%
rep.heading("By reviewer specialty", "Board specialty of the expert reviewer.")
specialty = rep.rates("reviewer_specialty")
rep.chart(specialty, rate_bars, title="Uphold rate by reviewer specialty")
rep.rate_table(specialty, caption="By reviewer specialty")

# %%
rep.heading("What was requested", "The disputed items in this selection and how UR acted.")
rep.rate_table(
    rep.rates("treatment", top=15),
    caption="Treatments (15 most frequent; one name per thing requested)",
)
rep.rate_table(rep.rates("body_region"), caption="By body region named (an item may name several)")
if category == "Pharmaceuticals" or not category:
    rep.rate_table(rep.rates("drug_class"), caption="By drug class (pharmaceutical items)")
    rep.rate_table(
        rep.rates("ingredient", top=15),
        caption="Generic ingredients (15 most frequent; a combination counts under each)",
    )
rep.rate_table(rep.rates("request_type"), caption="Modified versus denied by UR")

# %%
if include_text:
    rep.heading(
        "Sample of reviewers' rationales",
        f"{sample_size} decided items drawn at random (seed {seed}) from this selection; letter "
        "text as parsed, shortened to about 900 characters.",
    )
    rep.text_samples(rep.sample_items(sample_size, seed=seed), caption="Rationales")

# %%
rep.show_provenance()
rep.close()
