"""One report's selection read once, then every section's numbers from that copy.

A report asks for some thirty breakdowns of the same selection (``uphold_rates`` by category, by
year, by specialty, ..., ``letter_volumes``, ``coverage``). Answered one by one from the items,
each joins two million items to a million letters on their text ids and groups the result by
letter: two to nine seconds apiece at a million letters. ``SelectionCache`` instead reads the
selection once into a temporary table with one row per letter (its decided and upheld items in
the selection and the letter's own columns, keyed by a small integer). Every breakdown by a
property of the letter (year, specialty, age band, ...) is then a group-by over that table, with
no join and no per-letter grouping: a letter's items all fall in the same group, so its cluster
sums are its own counts. Breakdowns by a property of the item are answered from the letters'
*shapes* (``SelectionCache.items``): a letter's decided items as a multiset of (profile,
upheld); letters with the same shape add the same terms to every per-letter sum, so each
distinct shape is grouped once and weighted by its number of letters. Calls with other filters
are answered from the tables as before.

The cache is passed where a connection goes: ``uphold_rates(cache, ...)``, ``letter_volumes``
and ``coverage`` accept it as ``con`` and ask it first (``split_source``), so a report calls the
same public functions as a notebook does.

The numbers are the same as ``uphold_rates``' own, not close to them: the same dimension SQL,
the same integer sums, the same finishing code (``rates._rates_frame``); the tests compare the
two on every dimension.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, NamedTuple

import duckdb
import pandas as pd

from imr_analytics.analytics import rates as _rates
from imr_analytics.analytics.rates import DIMENSIONS, Dimension

__all__ = ["SelectionCache"]

_COUNTER = itertools.count(1)


class _ItemTables(NamedTuple):
    """The temporary tables of ``SelectionCache.items`` (see there)."""

    profiles: str
    shapes: str
    letter_shapes: str


def _item_columns(sql: str) -> set[str]:
    """The ``items`` columns a dimension's SQL reads (``i.name``)."""
    return set(re.findall(r"\bi\.([A-Za-z_][A-Za-z0-9_]*)", sql))


def _profile_only(dim: Dimension) -> bool:
    """A dimension answered from the shapes' profiles: item columns only, all of them
    profile columns, no letter column and no join (citations)."""
    return (
        not dim.joins
        and re.search(r"\bl\.", dim.sql) is None
        and _item_columns(dim.sql) <= set(PROFILE_COLUMNS)
    )


# The item columns the item-level dimensions read, found from their SQL so that a new dimension
# is covered where it is defined. item_pattern is left out: thousands of values would multiply
# the profiles (a breakdown by it, or a filter narrower than the selection's, goes to the plain
# function).
PROFILE_COLUMNS: tuple[str, ...] = tuple(
    sorted(
        {
            c
            for d in DIMENSIONS.values()
            if not d.joins and re.search(r"\bl\.", d.sql) is None
            for c in _item_columns(d.sql)
        }
        - {"item_pattern"}
    )
)


def _same_values(a: list[Any], b: list[Any]) -> bool:
    return _subset(a, b) and _subset(b, a)


def _subset(a: list[Any], b: list[Any]) -> bool:
    """Every value of ``a`` is in ``b`` (None included), compared as the filters bind them."""
    return all(any(x == y and (x is None) == (y is None) for y in b) for x in a)


def _normal_where(where: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """A dict filter as dimension -> list of values, the way ``uphold_rates`` reads it."""
    return {k: _rates._values(v) for k, v in (where or {}).items()}


class SelectionCache:
    """The letters of one selection (``where``, ``date_from``, ``date_to``) in a temporary table.

    Built on first use and kept for the connection's life (a report's database is opened
    read-only, so the copy cannot go stale). ``uphold_rates``, ``letter_volumes`` and
    ``coverage`` take the same arguments as the module functions and give the same results;
    a call the cache cannot answer (another filter, an item dimension) goes to them.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        where: Mapping[str, Any] | None = None,
        *,
        date_from: date | datetime | str | None = None,
        date_to: date | datetime | str | None = None,
    ) -> None:
        if where is not None and not isinstance(where, Mapping):
            raise TypeError("SelectionCache takes a dict filter {dimension: value(s)}")
        self.con = con
        self.where = _normal_where(where)
        _rates._check_dims(self.where)
        self.date_from = _rates._as_date(date_from, "date_from")
        self.date_to = _rates._as_date(date_to, "date_to")
        self._letters: str | None = None
        self._positional = False
        self._items: _ItemTables | None = None

    # -- the table ------------------------------------------------------------------------------

    def covers(
        self,
        where: Mapping[str, Any] | str | None,
        date_from: date | datetime | str | None,
        date_to: date | datetime | str | None,
    ) -> bool:
        """Whether a call with these filters selects exactly this cache's letters and items."""
        if isinstance(where, str):
            return False
        return (
            _normal_where(where) == self.where
            and _rates._as_date(date_from, "date_from") == self.date_from
            and _rates._as_date(date_to, "date_to") == self.date_to
        )

    @property
    def letters(self) -> str:
        """The temporary table's name, building it on first use.

        One row per row of ``letters``, in the table's own order, so that a query reads the
        two side by side (``POSITIONAL JOIN``: no hash join of a million rows on rowids):
        ``lk`` (the letter's rowid) and, for the letters of the selection as
        ``letter_volumes`` selects them (an item filter keeps letters with a matching item),
        over their decided items that pass the filters ``m`` (items), ``y`` (upheld), ``rx``
        (pharmaceutical) and ``oth`` (category 'Other'); NULL for the other letters. Five
        numbers per letter (about 24 MB at a million letters): the letter's own columns are
        read from ``letters`` beside it, which leaves DuckDB's memory to the queries.
        """
        if self._letters is None:
            name = f"_imr_selection_{next(_COUNTER)}"
            if not self._letters_from_items(name):
                self._letters_from_tables(name)
            # side by side only if every row lines up with its letter (it does for a table
            # scanned in order; checked, as it costs a hundredth of a second)
            misplaced = self.con.execute(
                f"SELECT count(*) FROM letters AS l POSITIONAL JOIN {name} AS c "
                "WHERE c.lk IS DISTINCT FROM l.rowid"
            ).fetchone()
            self._positional = misplaced is not None and misplaced[0] == 0
            self._letters = name
        return self._letters

    def _split_selection(
        self, letter_params: _rates._Params, item_params: _rates._Params
    ) -> tuple[list[str], list[str]] | None:
        """The selection's predicates over the letter (dates included) and over the item, as
        ``_base_sql`` writes them; None when a dimension needs a join or reads both."""
        letter: list[str] = []
        item: list[str] = []
        for d, values in self.where.items():
            dim = DIMENSIONS[d]
            reads_item = re.search(r"\bi\.", dim.sql) is not None
            if dim.joins or (reads_item and re.search(r"\bl\.", dim.sql)):
                return None
            if reads_item:
                item.append(_rates._match(dim.sql, values, dim.multi_valued, item_params))
            else:
                letter.append(_rates._match(dim.sql, values, dim.multi_valued, letter_params))
        if self.date_from is not None:
            letter.append(f"l.decision_date >= {letter_params.add(self.date_from)}")
        if self.date_to is not None:
            letter.append(f"l.decision_date <= {letter_params.add(self.date_to)}")
        return letter, item

    def _letters_from_items(self, name: str) -> bool:
        """Build the letter table from the letter shapes (no second join of the items to the
        letters on their text ids); False when the selection needs the plain build.

        ``letter_volumes`` selects a letter with decided items when one of them passes the
        filters (it then has a shape), and a letter without decided items when the
        filters hold for its one row of NULL item columns (the LEFT JOIN's). That is decided
        once, here, by evaluating the item predicates on such a row. With no item predicate
        the selection is every letter passing the letter predicates; with item predicates
        that a NULL item fails (any filter naming values) it is the letters with a shape;
        a filter a NULL item passes (one naming None) needs the plain build.
        """
        letter_params, item_params = _rates._Params(), _rates._Params()
        split = self._split_selection(letter_params, item_params)
        if split is None or "item_category" not in PROFILE_COLUMNS:
            return False
        letter_preds, item_preds = split
        if item_preds:
            passes = self.con.execute(
                f"SELECT {' AND '.join(item_preds)} FROM (SELECT 1) AS one "
                "LEFT JOIN (SELECT * FROM items LIMIT 0) AS i ON true",
                item_params.values,
            ).fetchone()
            if passes is None or passes[0]:
                return False  # a NULL item passes (FALSE and NULL pass no WHERE)
            selected, values = "a.lk IS NOT NULL", {}
        else:
            selected, values = " AND ".join(letter_preds) or "true", letter_params.values
        t = self.items
        counts = ", ".join(
            f"CASE WHEN {selected} THEN coalesce(a.{c}, 0) END AS {c}"
            for c in ("m", "y", "rx", "oth")
        )
        # a letter's counts are its shape's: counted once per distinct shape, then spread
        # over the letters by their shape id (no grouping of the items by letter)
        self.con.execute(
            f"CREATE TEMP TABLE {name} AS SELECT l.rowid AS lk, {counts} FROM letters AS l "
            f"LEFT JOIN (SELECT ls.lk, st.m, st.y, st.rx, st.oth FROM {t.letter_shapes} AS ls "
            "JOIN (SELECT s.sid, count(*)::INTEGER AS m, "
            "count(*) FILTER (WHERE s.up)::INTEGER AS y, "
            "count(*) FILTER (WHERE p.item_category = 'Pharmaceuticals')::INTEGER AS rx, "
            "count(*) FILTER (WHERE p.item_category = 'Other')::INTEGER AS oth "
            f"FROM {t.shapes} AS s JOIN {t.profiles} AS p ON p.pid = s.pid GROUP BY s.sid) "
            "AS st ON st.sid = ls.sid) AS a ON a.lk = l.rowid ORDER BY l.rowid",
            values,
        )
        return True

    def _letters_from_tables(self, name: str) -> None:
        """Build the letter table from ``letters`` LEFT JOIN ``items`` (the plain selection)."""
        params = _rates._Params()
        base, _ = _rates._base_sql(
            [],
            self.where or None,
            self.date_from,
            self.date_to,
            params,
            from_letters=True,
            extra=["l.rowid AS _lk", "i.item_category AS _item_category"],
        )
        self.con.execute(
            f"CREATE TEMP TABLE {name} AS SELECT l.rowid AS lk, a.m, a.y, a.rx, a.oth "
            "FROM letters AS l LEFT JOIN (SELECT _lk, count(item_no)::INTEGER AS m, "
            "count(item_no) FILTER (WHERE decision = 'upheld')::INTEGER AS y, "
            "count(item_no) FILTER (WHERE _item_category = 'Pharmaceuticals')::INTEGER "
            "AS rx, count(item_no) FILTER (WHERE _item_category = 'Other')::INTEGER AS oth "
            f"FROM ({base}) AS base GROUP BY _lk) AS a ON a._lk = l.rowid ORDER BY l.rowid",
            params.values,
        )

    def _joined(self) -> str:
        """The letter table beside its letters (``c`` and ``l``); rows outside the selection
        have ``c.m`` NULL."""
        table = self.letters
        if self._positional:
            return f"letters AS l POSITIONAL JOIN {table} AS c"
        return f"{table} AS c JOIN letters AS l ON l.rowid = c.lk"

    @property
    def items(self) -> _ItemTables:
        """The selection's decided items as letter shapes, building them on first use.

        ``profiles``: each distinct combination of the ``PROFILE_COLUMNS`` among the
        selection's decided items (a few thousand at a million letters), numbered ``pid``.
        A letter's *shape* is the multiset of its decided items' (profile, upheld) pairs:
        every count a breakdown by a property of the item needs from a letter (its decided
        and upheld items in each group) is a function of its shape. ``shapes`` holds each
        distinct shape once, one row per item (``sid``, ``pid``, ``up``, and ``w``: how many
        letters have the shape); ``letter_shapes`` each letter's (``lk``, its rowid in
        ``letters``; ``sid``). A breakdown then groups the items of the distinct shapes, not
        of every letter, and weights the per-letter sums by ``w``: the same integers, as
        letters with the same shape add the same terms. How much smaller ``shapes`` is than
        the items depends on the letters: every single-item letter with the same profile
        and outcome shares one shape; letters no other letter matches keep one each.
        """
        if self._items is None:
            n = next(_COUNTER)
            t = _ItemTables(
                profiles=f"_imr_profiles_{n}",
                shapes=f"_imr_shapes_{n}",
                letter_shapes=f"_imr_letter_shapes_{n}",
            )
            grouped, per_shape = f"_imr_item_groups_{n}", f"_imr_shape_groups_{n}"
            params = _rates._Params()
            cols = [f"i.{c} AS {c}" for c in PROFILE_COLUMNS]
            base, _ = _rates._base_sql(
                [],
                self.where or None,
                self.date_from,
                self.date_to,
                params,
                extra=["l.rowid AS _lk", *cols],
            )
            names = ", ".join(PROFILE_COLUMNS)
            # one grouping of the items by profile numbers the profiles and keeps each one's
            # items in lists, which the letter shapes below unnest again
            self.con.execute(
                f"CREATE TEMP TABLE {grouped} AS SELECT row_number() OVER ()::INTEGER AS pid, * "
                f"FROM (SELECT {names}, list(_lk) AS _lks, list(decision = 'upheld') AS _ups "
                f"FROM ({base}) AS base GROUP BY ALL)",
                params.values,
            )
            try:
                self.con.execute(
                    f"CREATE TEMP TABLE {t.profiles} AS SELECT pid, {names} FROM {grouped}"
                )
                # a shape as one sorted list of integers (2 * pid + upheld), grouped as a value:
                # letters with the same list have the same items, in any order
                self.con.execute(
                    f"CREATE TEMP TABLE {per_shape} AS SELECT "
                    "row_number() OVER ()::INTEGER AS sid, shape, list(lk) AS lks FROM ("
                    "SELECT lk, list_sort(list(2 * pid + up::INTEGER)) AS shape FROM ("
                    f"SELECT unnest(_lks) AS lk, unnest(_ups) AS up, pid FROM {grouped}) "
                    "GROUP BY lk) GROUP BY shape"
                )
                self.con.execute(
                    f"CREATE TEMP TABLE {t.shapes} AS SELECT sid, (e // 2)::INTEGER AS pid, "
                    "e % 2 = 1 AS up, w FROM (SELECT sid, unnest(shape) AS e, "
                    f"len(lks)::BIGINT AS w FROM {per_shape})"
                )
                self.con.execute(
                    f"CREATE TEMP TABLE {t.letter_shapes} AS SELECT unnest(lks) AS lk, sid "
                    f"FROM {per_shape}"
                )
            finally:
                self.con.execute(f"DROP TABLE IF EXISTS {grouped}")
                self.con.execute(f"DROP TABLE IF EXISTS {per_shape}")
            self._items = t
        return self._items

    def _item_filters(
        self, where: Mapping[str, Any] | None, date_from: Any, date_to: Any
    ) -> dict[str, list[Any]] | None:
        """The filters a call adds to this selection, or None when the shapes cannot
        answer it (another date window, a value outside the selection's, a raw SQL filter,
        or a narrower filter on a column the table does not hold).

        A dimension the call filters on the selection's own values needs nothing more (the
        table holds exactly those items); a narrower list, or a dimension the selection does
        not filter on, is applied again over the table.
        """
        if isinstance(where, str) or not (
            _rates._as_date(date_from, "date_from") == self.date_from
            and _rates._as_date(date_to, "date_to") == self.date_to
        ):
            return None
        call = _normal_where(where)
        if any(d not in call for d in self.where):
            return None  # wider than the selection
        extra = {}
        for d, values in call.items():
            mine = self.where.get(d)
            if mine is not None and _same_values(values, mine):
                continue
            if mine is not None and not _subset(values, mine):
                return None
            dim = DIMENSIONS[d]
            if not (dim.per_letter or _profile_only(dim)):
                return None
            extra[d] = values
        return extra

    def _item_counts(
        self,
        by: list[str],
        where: Mapping[str, Any] | str | None,
        date_from: date | None,
        date_to: date | None,
        unit: str,
    ) -> pd.DataFrame | None:
        """``rates._rates_counts`` from the letter shapes, or None when they cannot answer.

        The same sums as ``_letter_group_ctes`` over the items: per letter and group the
        decided (m) and upheld (y) items, a multi-valued dimension unnested to its distinct
        values (a missing or empty list: NULL) and filtered on the values the call names;
        then n = sum(m), n_letters = count(*), s_mm = sum(m * m), ... over the (letter, group)
        rows. Here the letters are first grouped into classes (one shape, the same values of
        the call's letter dimensions; with none, a class is a shape) of ``w`` letters, whose
        (letter, group) rows are all alike: each class's rows are counted once from its
        shape's items and every sum weighted by ``w`` (n = sum(w * m), n_letters = sum(w),
        ...), exact integers as before. A dimension of the item is evaluated once per
        profile, one of the letter once per letter.
        """
        if not all(DIMENSIONS[d].per_letter or _profile_only(DIMENSIONS[d]) for d in by):
            return None
        extra = self._item_filters(where, date_from, date_to)
        if extra is None:
            return None
        t = self.items
        params = _rates._Params()
        multi_by = [d for d in by if DIMENSIONS[d].multi_valued]

        def side(letter: bool, grouped: bool) -> tuple[str, list[str], str] | None:
            """(subquery, its dimensions, the shape table's key) for the letter or the profile
            side: the call's filters of that side, and with ``grouped`` its dimensions of
            ``by`` (multi-valued ones unnested); None when the side has neither."""
            dims = [d for d in by if DIMENSIONS[d].per_letter == letter] if grouped else []
            filters = {d: v for d, v in extra.items() if DIMENSIONS[d].per_letter == letter}
            if not dims and not filters:
                return None
            alias, key, table = ("l", "rowid", "letters") if letter else ("i", "pid", t.profiles)
            cols = [f"{alias}.{key} AS _key"]
            froms = [f"{table} AS {alias}"]
            preds = [
                _rates._match(DIMENSIONS[d].sql, v, DIMENSIONS[d].multi_valued, params)
                for d, v in filters.items()
            ]
            for k, d in enumerate(dims):
                sql = DIMENSIONS[d].sql
                if d not in multi_by:
                    cols.append(f"{sql} AS {d}")
                    continue
                froms.append(
                    f"UNNEST(CASE WHEN len(list_distinct({sql})) > 0 THEN "
                    f"list_distinct({sql}) ELSE [NULL] END) AS u{k}(v)"
                )
                cols.append(f"u{k}.v AS {d}")
                wanted = extra.get(d, self.where.get(d))
                if wanted is not None:  # only the values the filter names become rows
                    preds.append(_rates._match(f"u{k}.v", wanted, False, params))
            sql = f"SELECT {', '.join(cols)} FROM {', '.join(froms)}" + (
                " WHERE " + " AND ".join(preds) if preds else ""
            )
            return sql, dims, "lk" if letter else "pid"

        # The profile side's values are numbered (dense_rank over a few thousand rows), so the
        # grouping by letter class and group, the one that touches every item of every
        # distinct shape, groups integers; the values are joined back onto the few result rows.
        # The letters are grouped into classes first: a class is the letters with one shape
        # and the same values of the call's letter dimensions (``w`` letters); with no letter
        # side a class is a shape.
        profile, letter = side(False, True), side(True, True)
        ctes, joins, inner, shown = [], "", [], {}
        if profile is not None:
            sql, names, _ = profile
            code = f", dense_rank() OVER (ORDER BY {', '.join(names)}) AS _code" if names else ""
            ctes.append(f"sp AS (SELECT *{code} FROM ({sql}))")
            joins += " JOIN sp ON sp._key = s.pid"
            if names:
                inner.append("_code")
                ctes.append(f"vp AS (SELECT DISTINCT _code, {', '.join(names)} FROM sp)")
                shown.update({d: f"vp.{d}" for d in names})

        def classes(letter_side: tuple[str, list[str], str]) -> str:
            """(sid, the letter dimensions, w, ck): the letters of the selection grouped by
            shape and the values of ``letter_side`` (filtered by it)."""
            sql, names, _ = letter_side
            dims = "".join(f", sl.{d}" for d in names)
            return (
                f"SELECT *, row_number() OVER () AS ck FROM (SELECT ls.sid{dims}, "
                f"count(*)::BIGINT AS w FROM ({sql}) AS sl JOIN {t.letter_shapes} AS ls "
                f"ON ls.lk = sl._key GROUP BY ALL)"
            )

        letter_names = letter[1] if letter else []
        inner += letter_names
        shown.update({d: f"agg0.{d}" for d in letter_names})
        if letter is None:  # a class is a shape, and the shape's rows carry its weight
            keys, carried, source = ["s.sid"], ", any_value(s.w) AS w", f"{t.shapes} AS s"
        else:
            ctes.append(f"lc AS ({classes(letter)})")
            keys = ["lc.ck"]
            carried = "".join(f", any_value(lc.{d}) AS {d}" for d in letter_names)
            carried += ", any_value(lc.w) AS w"
            source = f"{t.shapes} AS s JOIN lc ON lc.sid = s.sid"
        keys += ["sp._code"] if "_code" in inner else []
        lg = (
            f"SELECT {', '.join(keys)}{carried}, count(*) AS m, "
            f"count(*) FILTER (WHERE s.up) AS y FROM {source}{joins} GROUP BY {', '.join(keys)}"
        )

        def kept() -> str:
            """FROM clause of the items that pass the filters, each once (``base`` of the
            plain query), with the number of letters ``w`` of their shape that pass the
            letter filters: classes under the filters alone are shapes (``sid`` is a key)."""
            lf, pf = side(True, False), side(False, False)
            if lf is None:
                source = f"FROM {t.shapes} AS kc"
            else:
                source = f"FROM {t.shapes} AS s JOIN ({classes(lf)}) AS kc ON kc.sid = s.sid"
            pid = "kc.pid" if lf is None else "s.pid"
            return source + (f" SEMI JOIN ({pf[0]}) AS f ON f._key = {pid}" if pf else "")

        if unit == "item":
            counts = (
                "sum(w * m)::BIGINT AS n, sum(w * y)::BIGINT AS upheld, "
                "coalesce(sum(w), 0)::BIGINT AS n_letters, sum(w * m * m)::DOUBLE AS s_mm, "
                "sum(w * y * y)::DOUBLE AS s_yy, sum(w * y * m)::DOUBLE AS s_ym"
            )
            total = (
                f"(SELECT coalesce(sum(kc.w), 0)::BIGINT {kept()})"
                if multi_by
                else "coalesce(sum(n) OVER (), 0)::BIGINT"
            )
        else:
            counts = (
                "coalesce(sum(w), 0)::BIGINT AS n, "
                "coalesce(sum(w) FILTER (WHERE y = m), 0)::BIGINT AS upheld, "
                "coalesce(sum(w), 0)::BIGINT AS n_letters, "
                "NULL AS s_mm, NULL AS s_yy, NULL AS s_ym"
            )
            # the letters with a kept item: the kept shapes' letters passing the letter filters
            total = (
                "(SELECT coalesce(sum(kw), 0)::BIGINT FROM "
                f"(SELECT any_value(kc.w) AS kw {kept()} GROUP BY kc.sid))"
            )
        agg0 = f"SELECT {', '.join([*inner, counts])} FROM lg" + (
            f" GROUP BY {', '.join(inner)}" if inner else ""
        )
        columns = [f"{shown[d]} AS {d}" for d in by] + [
            f"agg0.{c}" for c in ("n", "upheld", "n_letters", "s_mm", "s_yy", "s_ym")
        ]
        named = " JOIN vp ON vp._code = agg0._code" if "_code" in inner else ""
        ctes += [f"lg AS ({lg})", f"agg0 AS ({agg0})"]
        ctes.append(f"agg AS (SELECT {', '.join(columns)} FROM agg0{named})")
        sql = f"WITH {', '.join(ctes)} SELECT *, {total} AS total FROM agg"
        return self.con.execute(sql, params.values).df()

    def close(self) -> None:
        """Drop the temporary tables (they go with the connection anyway)."""
        tables = [t for t in (self._letters, *(self._items or ())) if t is not None]
        for table in tables:
            # a closed connection raises: its temporary tables went with it
            with contextlib.suppress(duckdb.Error):
                self.con.execute(f"DROP TABLE IF EXISTS {table}")
        self._letters = None
        self._items = None

    # -- what the module functions ask of it ------------------------------------------------

    def rates_counts(
        self,
        by: list[str],
        where: Mapping[str, Any] | str | None,
        date_from: date | None,
        date_to: date | None,
        unit: str,
    ) -> pd.DataFrame | None:
        """``rates._rates_counts`` from the letter table (the selection's own filters, every
        dimension a property of the letter) or the letter shapes (filters inside the selection,
        dimensions of the item or the letter); None when neither can answer."""
        if self.covers(where, date_from, date_to) and all(DIMENSIONS[d].per_letter for d in by):
            return self._letter_counts(by, unit)
        return self._item_counts(by, where, date_from, date_to, unit)

    def _letter_counts(self, by: list[str], unit: str) -> pd.DataFrame:
        """``rates._rates_counts`` for dimensions of the letter, from the letter table.

        A letter's decided items all share its value, so its (letter, group) counts are the
        letter's m and y. A multi-valued dimension counts the letter once under each distinct
        value (a missing or empty list: once under NULL), keeping only the values the filter
        names, as ``rates._letter_group_ctes`` does; letters with the same list are summed
        first, so the lists are unnested once per distinct list, not once per letter.
        """
        params = _rates._Params()
        scalar = [d for d in by if not DIMENSIONS[d].multi_valued]
        multi = [d for d in by if DIMENSIONS[d].multi_valued]
        if unit == "item":
            sums = (
                "sum(c.m)::BIGINT AS m, sum(c.y)::BIGINT AS y, count(*) AS k, "
                "sum(c.m * c.m) AS mm, sum(c.y * c.y) AS yy, sum(c.y * c.m) AS ym"
            )
            counts = (
                "sum(m)::BIGINT AS n, sum(y)::BIGINT AS upheld, sum(k)::BIGINT AS n_letters, "
                "sum(mm)::DOUBLE AS s_mm, sum(yy)::DOUBLE AS s_yy, sum(ym)::DOUBLE AS s_ym"
            )
            total = f"(SELECT coalesce(sum(m), 0)::BIGINT FROM {self.letters})"  # NULL: not summed
        else:
            sums = "count(*) AS m, count(*) FILTER (WHERE c.y = c.m) AS y, count(*) AS k"
            counts = (
                "sum(m)::BIGINT AS n, sum(y)::BIGINT AS upheld, sum(k)::BIGINT AS n_letters, "
                "NULL AS s_mm, NULL AS s_yy, NULL AS s_ym"
            )
            total = f"(SELECT count(*) FROM {self.letters} WHERE m > 0)"
        keys = [f"{DIMENSIONS[d].sql} AS {d}" for d in scalar] + [
            f"{DIMENSIONS[d].sql} AS _list_{d}" for d in multi
        ]
        names = [*scalar, *(f"_list_{d}" for d in multi)]
        per_list = f"SELECT {', '.join([*keys, sums])} FROM {self._joined()} WHERE c.m > 0" + (
            f" GROUP BY {', '.join(names)}" if names else ""
        )
        froms = ["pl AS p"] + [
            f"UNNEST(CASE WHEN len(list_distinct(p._list_{d})) > 0 THEN "
            f"list_distinct(p._list_{d}) ELSE [NULL] END) AS u{k}(v)"
            for k, d in enumerate(multi)
        ]
        preds = [
            _rates._match(f"u{k}.v", self.where[d], False, params)
            for k, d in enumerate(multi)
            if d in self.where
        ]
        cols = [f"p.{d} AS {d}" for d in scalar] + [f"u{k}.v AS {d}" for k, d in enumerate(multi)]
        cols += [f"p.{c}" for c in (("m", "y", "k", "mm", "yy", "ym") if unit == "item" else "myk")]
        lg = (
            f"SELECT {', '.join(cols)} FROM {', '.join(froms)}"
            + (" WHERE " + " AND ".join(preds) if preds else "")
            if multi
            else "SELECT * FROM pl"
        )
        group = ", ".join(by)
        sql = (
            f"WITH pl AS ({per_list}), lg AS ({lg}) "
            f"SELECT {group + ', ' if group else ''}{counts}, {total} AS total FROM lg"
            + (f" GROUP BY {group}" if group else "")
        )
        return self.con.execute(sql, params.values).df()

    # -- volumes and coverage -------------------------------------------------------------------

    def volumes_counts(
        self,
        period: str | None,
        where: Mapping[str, Any] | str | None,
        date_from: date | None,
        date_to: date | None,
    ) -> pd.DataFrame | None:
        """``letter_volumes``' per-period counts from the letter table (None: not covered)."""
        if not self.covers(where, date_from, date_to):
            return None
        pcol = f"{DIMENSIONS[period].sql} AS {period}, " if period else ""
        sql = (
            f"WITH per_letter AS (SELECT {pcol}{_rates._DAYS} AS days, c.m AS k "
            f"FROM {self._joined()} WHERE c.m IS NOT NULL) "
            f"SELECT {period + ', ' if period else ''}"
            f"{_rates._VOLUME_AGGREGATES} FROM per_letter"
            + (f" GROUP BY {period}" if period else "")
        )
        return self.con.execute(sql).df()

    def coverage_letters(
        self,
        where: Mapping[str, Any] | str | None,
        date_from: date | None,
        date_to: date | None,
    ) -> str | None:
        """The WITH clause ``coverage`` reads (``sel``: one row per letter), over the letter
        table; None when the filters are not this selection's."""
        if not self.covers(where, date_from, date_to):
            return None
        return (
            "WITH sel AS (SELECT c.lk AS letter_id, c.m AS k, c.y, c.rx, c.oth, l.layout, "
            f"l.decision_date, l.parse_warnings FROM {self._joined()} WHERE c.m IS NOT NULL) "
        )


def split_source(con: Any) -> tuple[SelectionCache | None, Any]:
    """(cache, connection) for the ``con`` argument of the module functions: a connection, or
    a ``SelectionCache`` whose connection answers what the cache cannot."""
    if isinstance(con, SelectionCache):
        return con, con.con
    return None, con
