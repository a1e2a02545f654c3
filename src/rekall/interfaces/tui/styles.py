"""The stylesheet, kept in Python so it ships in every wheel without package-data setup."""

# Laid out to work from 80x24 upwards.
STYLESHEET = """
#search {
    height: 3;
    margin: 0;
}

#status {
    height: 1;
    padding: 0 1;
    color: $text-muted;
}

#panes {
    height: 1fr;
}

#entries {
    height: 1fr;
    width: 1fr;
}

#preview {
    display: none;  /* shown from 120 columns (MainScreen.on_resize) */
    width: 45%;
    height: 1fr;
    padding: 0 1;
    border-left: vkey $panel;
    overflow-y: auto;
}

#entries.-stale {
    text-opacity: 55%;
}

Toast {
    padding: 0 1;
    margin-top: 0;
}

/* -- entry detail ------------------------------------------------------------------- */

#detail-body {
    height: 1fr;
    padding: 0 1;
}

#detail-title {
    color: $accent;
    margin-top: 1;
}

#detail-meta {
    color: $text-muted;
    margin-bottom: 1;
}

#detail-content {
    margin: 0;
    padding: 0;
}

#detail-links-title {
    height: 1;
    padding: 0 1;
    background: $panel;
    color: $text-muted;
}

#detail-links {
    height: auto;
    max-height: 8;
    border: none;
}

#detail-links, #link-candidates {
    text-wrap: nowrap;
    text-overflow: ellipsis;
}

/* -- dialogs ------------------------------------------------------------------------ */

ModalScreen {
    align: center middle;
}

.dialog {
    width: 76;
    max-width: 100%;
    height: auto;
    max-height: 100%;
    padding: 0 1;
    border: round $accent;
    background: $surface;
}

.dialog-title {
    text-style: bold;
    margin-bottom: 1;
}

.dialog-hint {
    color: $text-muted;
    margin-top: 1;
}

.dialog-buttons {
    height: auto;
    align-horizontal: right;
    margin-top: 1;
}

.dialog-buttons Button {
    margin-left: 2;
}

#form-dialog {
    height: 22;
    max-height: 100%;
}

#form-fields, #filter-fields, #link-fields {
    grid-size: 2;
    grid-columns: 12 1fr;
    grid-rows: 1;
    grid-gutter: 0 0;
    height: auto;
}

#form-content {
    height: 1fr;
    margin-top: 1;
}

#form-context {
    height: 1fr;
}

#filter-dialog {
    width: 64;
}

#link-dialog {
    height: 20;
}

#link-candidates {
    height: 1fr;
    margin-top: 1;
}

#confirm-dialog {
    width: 60;
}

#help-dialog {
    width: 72;
    height: 22;
}

#help-body {
    height: 1fr;
}
"""
