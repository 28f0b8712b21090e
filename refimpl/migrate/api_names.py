"""Keras 2's public names as Keras 3 has them, from the classification of the whole API
(`api.py`, `keras2_api.toml`): the pass `ApiNames` follows the code's imports to know
what each name means (`K` is `keras.backend`, `Rescaling` is
`keras.layers.experimental.preprocessing.Rescaling`), then

- writes a name Keras 3 has under another path or name where it moved (rule
  `api-paths`: `keras.losses.logcosh` -> `keras.losses.log_cosh`, imported under its
  old local name so the code that uses it stays as it was);
- renames the arguments Keras 3 renamed (rule `argument-names`:
  `keras.activations.relu(x, alpha=0.1)` -> `negative_slope=0.1`);
- flags what Keras 3 does not have: a name (at its import and at each dotted use), an
  argument it dropped, a model or layer method it dropped; each flag says what to do.

Example:

>>> import libcst as cst
>>> code = "from keras.layers.experimental.preprocessing import Rescaling\\n"
>>> cst.parse_module(code).visit(ApiNames()).code
'from keras.layers import Rescaling\\n'
"""

from __future__ import annotations

import libcst as cst

from refimpl.migrate import api
from refimpl.migrate.rules import FLAGGED_NAMES
from refimpl.migrate.transform import Pass, keras_path


def _dotted(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _expression(dotted: str) -> cst.BaseExpression:
    return cst.parse_expression(dotted)


class ApiNames(Pass):
    """The rules of the API's classification (see the module)."""

    def leave_ImportFrom(self, original, updated):
        if updated.module is None or updated.relative or isinstance(updated.names, cst.ImportStar):
            return updated
        module = keras_path(_dotted(updated.module))
        if not module.startswith("keras"):
            return updated
        names, targets = [], []
        for alias in updated.names:
            dotted = f"{module}.{_dotted(alias.name)}"
            local = _dotted(alias.asname.name) if alias.asname else _dotted(alias.name)
            self._flag_if_gone(dotted, _dotted(alias.name))
            target = api.moved(dotted)
            names.append((alias, local, target))
            if target:
                targets.append(target.rsplit(".", 1)[0])
        if not targets or len(set(targets)) > 1 or len(targets) < len(names):
            return updated  # nothing moved, or to several modules: left as written
        aliases = []
        for alias, local, target in names:
            name = target.rsplit(".", 1)[1]
            asname = None if name == local else cst.AsName(name=cst.Name(local))
            aliases.append(alias.with_changes(name=cst.Name(name), asname=asname))
        return updated.with_changes(module=_expression(targets[0]), names=aliases)

    def _flag_if_gone(self, dotted: str, name: str) -> None:
        entry = api.gone(dotted)
        if dotted.rsplit(".", 1)[-1] in FLAGGED_NAMES:
            return  # `rules.FLAGGED_NAMES` has its own, more precise, flag
        if entry is not None and "arguments" not in entry:
            self._flag("gone", name=name, do=entry["do"])

    def leave_Attribute(self, original, updated):
        dotted = self._resolve(original)
        if dotted is None:
            member = updated.attr.value
            do = api.gone_members().get(member)
            if do is not None:
                self._flag("gone-member", name=member, do=do)
            return updated
        self._flag_if_gone(dotted, _dotted(original))
        target = api.moved(dotted)
        if target is None:
            return updated
        # Keep the code's own way in: the longest imported prefix of the target.
        head = _dotted(original).split(".")[0]
        base = self.known.imports.get(head, "")
        if base and target.startswith(base + "."):
            return _expression(head + target[len(base) :])
        return _expression(target)

    def leave_Call(self, original, updated):
        dotted = self._resolve(original.func)
        if dotted is None:
            return updated
        renames = api.renamed_arguments(dotted)
        entry = api.gone(dotted)
        args = list(updated.args)
        if renames:
            args = [a.with_changes(keyword=cst.Name(renames[a.keyword.value]))
                    if a.keyword is not None and a.keyword.value in renames else a
                    for a in args]  # fmt: skip
        if entry is not None and "arguments" in entry:
            given = [a.keyword.value for a in args if a.keyword is not None]
            dropped = [name for name in entry["arguments"] if name in given]
            if dropped:
                self._flag("gone-argument", name=_dotted(original.func), do=entry["do"])
        return updated.with_changes(args=args) if args != list(updated.args) else updated
