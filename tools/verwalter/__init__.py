"""verwalter: config tree validation and scaffolding (:mod:`tools.verwalter.tree`),
scheduler preview (:mod:`tools.verwalter.schedule`) and render preview/apply
(:mod:`tools.verwalter.render`), over one sandboxed Lua 5.3 (:mod:`tools.verwalter.lua`)."""
