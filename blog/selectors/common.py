from config.errors import InvalidInput


def apply_filterset(filterset_class, params, queryset):
    """Filter `queryset` by query parameters, or raise InvalidInput naming the bad ones."""
    filterset = filterset_class(params, queryset=queryset)
    if not filterset.is_valid():
        fields = {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
        raise InvalidInput("Invalid filter.", fields=fields)
    return filterset.qs


def check_ordering(params, allowed: dict[str, tuple[str, ...]], default: str) -> tuple[str, ...]:
    """The ORM ordering for the client's `ordering` parameter, one of `allowed`'s keys."""
    # Given empty, it is not one of `allowed`: a 400 like any other unknown ordering.
    value = params.get("ordering", default)
    if value not in allowed:
        choices = ", ".join(allowed)
        raise InvalidInput(
            f"Unknown ordering {value!r}.", fields={"ordering": [f"Must be one of: {choices}."]}
        )
    return allowed[value]
