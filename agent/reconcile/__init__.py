"""Reconciliation (对账): the acquirer's settlement file against the journal, to find the sales the store
was never paid for (未到账) and follow each up as an `unsettled` case. See docs/reconcile.md."""
