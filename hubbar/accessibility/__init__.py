"""The accessibility statement (tillgänglighetsredogörelse) and its form for reporting problems."""
