// SlipwayRuntime will hold the service supervisor (start, health check, drain, restart) and port allocation
// (DESIGN.md §3). Services are issue 4; until they land this target is empty and `kind: service` projects are
// refused with a 422 naming `kind`.
