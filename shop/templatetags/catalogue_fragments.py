"""`{% shared_fragment "name" key… [unless value] %}…{% endshared_fragment %}`: a part of a page
that is the same for every visitor, rendered once and then served from the catalogue cache
(shop.catalogue_cache) until the catalogue changes or the cache time runs out.

The keys say what the fragment depends on besides the catalogue (a product's id, say). Never put
anything of the visitor inside: user, cart, CSRF token, size advice, saved photos, messages. A
part that is shared only for some visitors names what makes it personal after `unless`: when that
value is true (a shopper's size advice, say) the part is rendered for this request and not kept.
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token

from shop.catalogue_cache import VERSION_CONTEXT_NAME, cached_value

register = template.Library()


class SharedFragmentNode(template.Node):
    def __init__(
        self,
        nodelist: NodeList,
        name: FilterExpression,
        keys: list[FilterExpression],
        unless: FilterExpression | None,
    ) -> None:
        self.nodelist = nodelist
        self.name = name
        self.keys = keys
        self.unless = unless

    def render(self, context: template.Context) -> str:
        if self.unless is not None and self.unless.resolve(context):
            return self.nodelist.render(context)
        name = str(self.name.resolve(context))
        key = "\x1f".join(str(expression.resolve(context)) for expression in self.keys)
        return cached_value(
            name=f"fragment:{name}",
            key=key,
            compute=lambda: self.nodelist.render(context),
            version=context.get(VERSION_CONTEXT_NAME),
        )


@register.tag("shared_fragment")
def shared_fragment(parser: Parser, token: Token) -> SharedFragmentNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' needs a fragment name, then what the fragment depends on.")
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    keys, unless = bits[2:], None
    if "unless" in keys:
        position = keys.index("unless")
        if position != len(keys) - 2:
            raise template.TemplateSyntaxError(f"'{bits[0]}': 'unless' takes one value, at the end.")
        keys, unless = keys[:position], parser.compile_filter(keys[-1])
    name = parser.compile_filter(bits[1])
    return SharedFragmentNode(nodelist, name, [parser.compile_filter(key) for key in keys], unless)
