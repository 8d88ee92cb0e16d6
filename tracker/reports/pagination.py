"""Pagination of rows computed in Python (rules, not SQL, decide what is listed)."""

from flask_sqlalchemy.pagination import Pagination


class ListPagination(Pagination):
    """The `db.paginate` interface over a list that is already in memory."""

    def __init__(self, rows: list, page: int, per_page: int):
        self._rows = rows
        super().__init__(page=page, per_page=per_page, max_per_page=500, error_out=False)

    def _query_items(self) -> list:
        return self._rows[self._query_offset : self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._rows)
