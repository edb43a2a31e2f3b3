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
# Report parameters. `imr-analytics report uphold_rates -p NAME VALUE` overrides them; in
# JupyterLab edit them here and run all cells. Types are checked before anything is computed.
# A relative db_path is looked up from the working directory upwards, then the repo root.
db_path: str = "data/demo.duckdb"  # DuckDB database built by imr-analytics load
date_from: str | None = None  # first decision date, YYYY-MM-DD (None: first letter)
date_to: str | None = None  # last decision date, YYYY-MM-DD (None: last letter)
categories: list[str] = []  # treatment categories to keep, e.g. ["Pharmaceuticals"] (empty: all)
specialties: list[str] = []  # reviewer specialties to keep (empty: all)
period: str = "quarter"  # time grain of the trend charts: year, quarter or month
interval: str = "korn-graubard"  # 95% interval on the effective n: korn-graubard or wilson
top_items: int = 20  # disputed items listed in the most-disputed table (1 to 100)
title: str = "IMR uphold rates"  # report title

# %%
from imr_analytics.analytics import rate_bars, rate_trend, small_multiples, source_heatmap  # noqa: E402
from imr_analytics.reports.nbkit import (  # noqa: E402
    Report,
    fmt_count,
    fmt_multi_share,
    fmt_num,
)

rep = Report.open("uphold_rates", globals())
rep.title_block(
    "How often Independent Medical Review upholds utilization review denials of treatment in "
    "California workers' compensation, by treatment, guideline, reviewer and over time."
)

# %%
overall = rep.rates()
totals = rep.volumes(None)
by_year = rep.volumes("year")
by_category = rep.rates("item_category")


def _first(df, column):
    return df[column].iloc[0] if not df.empty else None


headline = [
    ("Letters", fmt_count(_first(totals, "n_letters"))),
    ("Decided items", fmt_count(_first(totals, "n_items"))),
    ("Uphold rate", rep.rate_text(overall)),
    ("95% interval", rep.interval_text(overall)),
    ("Items per letter", fmt_num(_first(totals, "items_per_letter"), 2)),
    ("Letters with >1 item", fmt_multi_share(totals.iloc[0] if not totals.empty else {})),
    ("Median days assigned\u2192decision", fmt_num(_first(totals, "median_days"))),
]
rep.headline(headline)
rep.note(
    "Unit: the decided item (one disputed treatment request in a letter); a letter may decide "
    "several. Uphold = IMR agreed with utilization review's denial or modification. Intervals "
    "treat the letter as the cluster (items of one letter share a worker, a reviewer and a "
    "record). How this selection compares with the published DWC and CWCI figures is in "
    "Coverage, below."
)
rep.email_summary(
    headline[:4],
    rep.rate_table_html(by_category, caption="Uphold rate by treatment category", digest=True),
    subject=f"{rep.params['title']}: {rep.subject_rate(overall)}, "
    f"{fmt_count(_first(totals, 'n_items'))} items",
)

# %%
rep.coverage_section()

# %%
rep.heading(
    "Volume over time",
    "Letters (final determination letters) and decided items per decision year, with the "
    "shape of a letter: items per letter and the share of letters that decide more than one "
    "item (CWCI, full years: 39-40%; see Coverage for whether this selection is comparable).",
)
rep.volume_table(by_year, caption="Letters and items by decision year")
volumes = rep.volumes(rep.period)
rep.volume_chart(volumes, measure="n_letters", title=f"Letters per {rep.period}")

# %%
rep.heading(
    "Uphold rate over time",
    "Item-level uphold rate per period with its 95% interval (band). DWC publishes the overturn "
    "rate, which is 100% minus this.",
)
trend = rep.rates(rep.period_dim)
rep.chart(trend, rate_trend, title=f"Uphold rate by decision {rep.period}", email=True)
rep.rate_table(rep.rates("decision_year"), caption="Uphold rate by decision year")

# %%
rep.heading(
    "By treatment category",
    "DWC and CWCI service categories (taxonomy in the package). Reference: behavioral health "
    "and E&M have the highest overturn rates, injections among the lowest.",
)
rep.chart(by_category, rate_bars, title="Uphold rate by treatment category", email=True)
rep.rate_table(by_category, caption="Uphold rate and share of items by treatment category")

# %%
rep.heading(
    "Treatment category over time",
    "Each category's uphold rate by decision year, and its share of the year's decided items "
    "(CWCI and DWC track the pharmaceutical share falling from about half to a third).",
)
cat_year = rep.rates(["item_category", "decision_year"])
rep.chart(cat_year, small_multiples, facet="item_category", x="decision_year")
year_totals = rep.rates("decision_year")
rep.share_table(cat_year, year_totals, row="item_category", column="decision_year")

# %%
rep.heading(
    "Drug class within pharmaceuticals",
    "Pharmaceutical items in the selection by drug class (opioids, topical analgesics, "
    "compounds, muscle relaxants...).",
)
drugs = rep.rates("drug_class", where={"item_category": ["Pharmaceuticals"]})
rep.chart(drugs, rate_bars, title="Uphold rate by drug class (pharmaceuticals)")
rep.rate_table(drugs, caption="Uphold rate by drug class; share of pharmaceutical items")
rep.rate_table(
    rep.rates("ingredient", where={"item_category": ["Pharmaceuticals"]}, top=top_items),
    caption=f"The {top_items} most disputed generic ingredients (brand names mapped; a "
    "combination such as Norco counts under each of its ingredients)",
)

# %%
rep.heading(
    "Guideline sources",
    "Primary (first cited) guideline family in the reviewer's and in the claims "
    "administrator's (UR's) guideline lines: MTUS, ODG, ACOEM, other, none. DWC reports MTUS "
    "as the most cited source every year.",
)
reviewer_src = rep.rates("reviewer_source")
rep.chart(reviewer_src, rate_bars, title="Uphold rate by the reviewer's guideline source")
rep.rate_table(reviewer_src, caption="By the reviewer's primary guideline source")
ca_src = rep.rates("ca_source")
rep.chart(ca_src, rate_bars, title="Uphold rate by UR's guideline source")
rep.rate_table(ca_src, caption="By the claims administrator's primary guideline source")

# %%
cross = rep.rates(["ca_source", "reviewer_source"])
rep.chart(cross, source_heatmap, title="Uphold rate: UR's source x reviewer's source")
rep.rate_table(
    rep.rates("source_agreement"),
    caption="Did the reviewer rely on the same guideline family as UR?",
)
rep.rate_table(
    rep.rates("reviewer_sources", top=10),
    caption="Combinations of guideline families the reviewer cited (10 most frequent)",
)

# %%
rep.heading(
    "Reviewer specialty and licensure",
    "Board specialty of the expert reviewer (DWC: PM&R and occupational medicine lead) and the "
    "states where the reviewer is licensed (DWC: the majority in California).",
)
specialty = rep.rates("reviewer_specialty")
rep.chart(specialty, rate_bars, title="Uphold rate by reviewer specialty")
rep.rate_table(specialty, caption="By reviewer specialty")
rep.rate_table(rep.rates("licensed_in_california"), caption="Reviewer licensed in California?")
rep.rate_table(rep.rates("licensure_state", top=10), caption="Reviewer licence state (top 10)")

# %%
rep.heading(
    "Letters with several items",
    "Uphold rate by how many items the letter decides (CWCI: 39-40% of letters decide more than "
    "one).",
)
per_letter = rep.rates("items_in_letter")
rep.chart(per_letter, rate_bars, title="Uphold rate by items in the letter")
rep.rate_table(per_letter, caption="By number of items in the letter")

# %%
rep.heading(
    "Modified versus denied requests",
    "Whether utilization review modified the request (approved part of it; the rest went to "
    "IMR) or denied it outright (CWCI 2014-2018 study).",
)
rep.rate_table(rep.rates("request_type"), caption="By UR action on the request")

# %%
rep.heading(
    "Timeliness",
    "Days from IMR assignment to the decision (DWC: 81 days average in early 2014, single "
    "digits from 2019).",
)
rep.volume_chart(
    volumes,
    measure="median_days",
    title=f"Median days from assignment to decision, per {rep.period}",
)
days = rep.rates("days_band")
rep.rate_table(days, caption="Uphold rate by days from assignment to decision")

# %%
rep.heading(
    "Review priority, patient age and sex",
    "Expedited versus standard review (no published figure), and the injured worker's age band "
    "and sex (DMHC publishes the same breakdowns for health-plan IMR).",
)
rep.rate_table(rep.rates("priority"), caption="By review priority")
age = rep.rates("age_band")
rep.chart(age, rate_bars, title="Uphold rate by patient age")
rep.rate_table(age, caption="By patient age band")
rep.rate_table(rep.rates("patient_sex"), caption="By patient sex")

# %%
rep.heading(
    "Claim age",
    "Whole years from the date of injury to the decision (DWC: time since injury; CWCI: "
    "accident year).",
)
rep.rate_table(rep.rates("claim_age_band"), caption="By claim age in years")

# %%
rep.heading(
    "Most disputed items",
    "One name per thing requested, whatever the strength, count, side or wording: generic "
    "ingredients and route for drugs, the modality for everything else; by number of decided "
    "items.",
)
rep.rate_table(
    rep.rates("treatment", top=top_items),
    caption=f"The {top_items} most frequent treatments",
)
rep.rate_table(
    rep.rates("body_region"),
    caption="By body region named (an item naming two regions counts under both)",
)

# %% [markdown]
# **Not in the letters, so not in this report:** the requesting provider (CWCI's
# concentration figures), the worker's region and attorney representation are redacted or
# absent in IMR letters.

# %%
rep.show_provenance()
rep.close()
