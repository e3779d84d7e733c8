"""Every Qt widget, view, item model and thread adapter of Soumu Desk. No SQL, no parsing."""
