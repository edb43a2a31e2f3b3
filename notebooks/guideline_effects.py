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
# Report parameters. `imr-analytics report guideline_effects -p NAME VALUE` overrides them; in
# JupyterLab edit them here and run all cells. Types are checked before anything is computed.
# A relative db_path is looked up from the working directory upwards, then the repo root.
db_path: str = "data/demo.duckdb"  # DuckDB database built by imr-analytics load
date_from: str | None = None  # first decision date, YYYY-MM-DD (None: first letter)
date_to: str | None = None  # last decision date, YYYY-MM-DD (None: last letter)
categories: list[str] = []  # treatment categories to keep, e.g. ["Pharmaceuticals"] (empty: all)
specialties: list[str] = []  # reviewer specialties to keep (empty: all)
adjust: list[str] = ["item_category", "decision_year"]  # case-mix dimensions the models adjust for
interval: str = "korn-graubard"  # 95% interval on the effective n: korn-graubard or wilson
title: str = "IMR uphold by guideline family"  # report title

# %%
from imr_analytics.analytics.charts import odds_ratio_chart, rate_bars, source_heatmap  # noqa: E402
from imr_analytics.reports.nbkit import Report, fmt_count  # noqa: E402

rep = Report.open("guideline_effects", globals())
rep.title_block(
    "Does the guideline family a reviewer relies on (MTUS, ODG, ACOEM, other, none) go with "
    "a different uphold rate once the kind of treatment and the year are taken into account?"
)

# %%
overall = rep.rates()
totals = rep.volumes(None)


def _first(df, column):
    return df[column].iloc[0] if not df.empty else None


reviewer_model = rep.compare_or_note("reviewer_source", adjust=adjust)
headline = [
    ("Letters", fmt_count(_first(totals, "n_letters"))),
    ("Decided items", fmt_count(_first(totals, "n_items"))),
    ("Uphold rate", rep.rate_text(overall)),
    ("95% interval", rep.interval_text(overall)),
    ("Reviewer's family: joint test", rep.joint_test_text(reviewer_model)),
]
rep.headline(headline)
rep.email_summary(
    headline,
    rep.compare_table_html(
        reviewer_model, caption="Uphold by the reviewer's guideline family", digest=True
    ),
    subject=f"{rep.params['title']}: {rep.subject_rate(overall)}, "
    f"{fmt_count(_first(totals, 'n_items'))} items",
)

# %%
rep.coverage_section()

# %%
rep.heading(
    "How to read the adjusted numbers",
    "The raw uphold rate of a guideline family mixes two things: the family itself and what it "
    "is cited for (ODG is cited for different treatments than MTUS, and citation habits changed "
    "over the years). The adjusted rate is what the model predicts if every item in the "
    "selection had been decided with that family, keeping each item's treatment category and "
    "decision year as they are; the odds ratio compares a family's odds of uphold with the "
    "reference family's under the same adjustment. These are associations, not causes: a "
    "reviewer chooses the guideline after reading the file, and everything about the case "
    "beyond the category and the year (the worker's history, the quality of the request, the "
    "reviewer) is not measured here and may explain part or all of a difference. A small "
    "p-value (after Holm's correction for testing several families) says a difference is "
    "unlikely to be chance alone in this selection; it does not say the difference is large or "
    "that changing the guideline would change the outcome.",
)

# %%
rep.heading(
    "The reviewer's guideline family",
    "Primary (first cited) guideline family in the reviewer's guideline lines: raw rates with "
    "their letter-clustered intervals, then the logistic model's adjusted rates and odds ratios.",
)
reviewer_src = rep.rates("reviewer_source")
rep.chart(
    reviewer_src, rate_bars, title="Raw uphold rate by the reviewer's guideline family", email=True
)
rep.compare_table(reviewer_model, caption="Reviewer's family: raw and adjusted")
rep.chart_or_skip(
    reviewer_model, odds_ratio_chart, title="Odds of uphold against the reference family"
)

# %%
rep.heading(
    "The claims administrator's guideline family",
    "The same for the family utilization review (the claims administrator) cited when it "
    "denied or modified the request.",
)
ca_model = rep.compare_or_note("ca_source", adjust=adjust)
rep.chart(rep.rates("ca_source"), rate_bars, title="Raw uphold rate by UR's guideline family")
rep.compare_table(ca_model, caption="UR's family: raw and adjusted")
rep.chart_or_skip(ca_model, odds_ratio_chart, title="Odds of uphold against the reference family")

# %%
rep.heading(
    "When the reviewer cites a different family than UR",
    "Whether the reviewer's primary family is the same as UR's. A different family can mean the "
    "reviewer found the request better (or worse) covered elsewhere; the model keeps category "
    "and year fixed.",
)
agreement_model = rep.compare_or_note("source_agreement", adjust=adjust)
rep.compare_table(agreement_model, caption="Same or different family than UR")
cross = rep.rates(["ca_source", "reviewer_source"])
rep.chart(cross, source_heatmap, title="Raw uphold rate: UR's family x reviewer's family")

# %%
rep.show_provenance()
rep.close()
