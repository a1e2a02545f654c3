"""The labelled queries of the ``libdocs`` corpus (numpy, click and rich docstrings).

Questions are written without the documents' words; their relevant documents were judged by
hand (the rule of label_queries.py), including the copies a library keeps of one text
(``numpy.random.normal`` and ``RandomState.normal``, ``Generator.normal``).
"""

from __future__ import annotations

RANDOM = "numpy.random"
LIBDOCS_QUESTIONS = {
    "positions of the elements once they are ordered from small to large": [
        "numpy.argsort",
        "numpy.ndarray.argsort",
    ],
    "put arrays on top of each other to make a taller one": [
        "numpy.vstack",
        "numpy.row_stack",
        "numpy.stack",
        "numpy.block",
    ],
    "find x given that A times x equals b for a square A": [
        "numpy.linalg.solve",
        "numpy.linalg.lstsq",
        "numpy.linalg.tensorsolve",
    ],
    "undo a matrix product by computing the reciprocal matrix": [
        "numpy.linalg.inv",
        "numpy.linalg.pinv",
        "numpy.matrix.getI",
        "numpy.linalg.tensorinv",
    ],
    "N points equally apart between two limits, both limits included": [
        "numpy.linspace",
        "numpy.geomspace",
        "numpy.logspace",
    ],
    "which frequencies are present in an audio signal": [
        "numpy.fft",
        "numpy.fft.fft",
        "numpy.fft.rfft",
        "numpy.fft.fftfreq",
        "numpy.fft.rfftfreq",
    ],
    "turn missing float values and overflows into usable finite numbers": ["numpy.nan_to_num"],
    "average that skips the missing entries": ["numpy.nanmean"],
    "count how many values fall into each bucket": [
        "numpy.histogram",
        "numpy.histogram2d",
        "numpy.histogramdd",
        "numpy.digitize",
    ],
    "best straight line or curve through noisy measurements": [
        "numpy.polyfit",
        "numpy.linalg.lstsq",
    ],
    "put a bunch of arrays together into one bundle saved for later": [
        "numpy.savez",
        "numpy.savez_compressed",
    ],
    "load a CSV of measurements into a table of floats": ["numpy.loadtxt", "numpy.genfromtxt"],
    "build a bigger array by laying copies of a small one side by side": [
        "numpy.tile",
        "numpy.kron",
        "numpy.resize",
    ],
    "rotate entries cyclically so the final one wraps to the front": ["numpy.roll"],
    "drop duplicate values and keep only the distinct ones": [
        "numpy.unique",
        "numpy.unique_values",
        "numpy.unique_all",
        "numpy.unique_counts",
        "numpy.unique_inverse",
    ],
    "every (x, y) pair of two axes laid out as two 2-d tables": [
        "numpy.meshgrid",
        "numpy.indices",
    ],
    "smallest gap between two floats that a type can tell apart": ["numpy.finfo"],
    "maximum a 16-bit whole-number kind can hold": ["numpy.iinfo"],
    "silence warnings about dividing by zero for one block of code": [
        "numpy.errstate",
        "numpy.seterr",
    ],
    "print every element of a big array instead of the dots in the middle": [
        "numpy.set_printoptions",
        "numpy.printoptions",
    ],
    "mix up the items of a list so their arrangement is unpredictable": [
        f"{RANDOM}.shuffle",
        f"{RANDOM}.RandomState.shuffle",
        f"{RANDOM}.Generator.shuffle",
        f"{RANDOM}.permutation",
        f"{RANDOM}.RandomState.permutation",
        f"{RANDOM}.Generator.permutation",
        f"{RANDOM}.Generator.permuted",
    ],
    "values from a bell curve with a given centre and spread": [
        f"{RANDOM}.normal",
        f"{RANDOM}.RandomState.normal",
        f"{RANDOM}.Generator.normal",
    ],
    "pick random items from a list where some are more likely than others": [
        f"{RANDOM}.choice",
        f"{RANDOM}.RandomState.choice",
        f"{RANDOM}.Generator.choice",
    ],
    "simulate how many customers arrive in an hour": [
        f"{RANDOM}.poisson",
        f"{RANDOM}.RandomState.poisson",
        f"{RANDOM}.Generator.poisson",
    ],
    "how much a square matrix scales volume": ["numpy.linalg.det", "numpy.linalg.slogdet"],
    "directions that a square matrix only stretches": [
        "numpy.linalg.eig",
        "numpy.linalg.eigh",
        "numpy.linalg.eigvals",
        "numpy.linalg.eigvalsh",
    ],
    "length of a vector as the square root of its summed squares": [
        "numpy.linalg.norm",
        "numpy.linalg.vector_norm",
    ],
    "make my scalar-only helper accept whole arrays": [
        "numpy.vectorize",
        "numpy.frompyfunc",
    ],
    "mirror a 2-d array so the top row becomes the bottom": ["numpy.flipud", "numpy.flip"],
    "turn an image array by a quarter": ["numpy.rot90"],
    "add a frame of zeros around an image array": ["numpy.pad"],
    "check that computed results nearly match expected ones allowing for rounding": [
        "numpy.allclose",
        "numpy.isclose",
    ],
    "treat a huge binary file as an in-RAM table without loading it all": [
        "numpy.memmap",
        "numpy.load",
    ],
    "the cut-off under which 90% of measurements lie": [
        "numpy.percentile",
        "numpy.quantile",
        "numpy.nanpercentile",
        "numpy.nanquantile",
    ],
    "how strongly two series move together": ["numpy.corrcoef", "numpy.cov"],
    "swap the rows and columns of a matrix": [
        "numpy.transpose",
        "numpy.ndarray.transpose",
        "numpy.linalg.matrix_transpose",
        "numpy.permute_dims",
        "numpy.matrix.getT",
        "numpy.swapaxes",
    ],
    "where in a boolean array are the entries that are true": [
        "numpy.nonzero",
        "numpy.argwhere",
        "numpy.flatnonzero",
        "numpy.ndarray.nonzero",
    ],
    "keep pixel values from going below 0 or above 255": ["numpy.clip", "numpy.ndarray.clip"],
    "ask the user yes or no before deleting anything": [
        "click.confirm",
        "click.confirmation_option",
        "rich.prompt.Confirm",
    ],
    "wrap a string in terminal escape codes to make it bold or red": [
        "click.style",
        "click.secho",
    ],
    "type a secret at the keyboard without it being shown": [
        "click.prompt",
        "click.password_option",
        "rich.prompt.PromptBase",
        "rich.console.Console.input",
    ],
    "where should my command line tool keep its settings": ["click.get_app_dir"],
    "show long output one screen at a time": [
        "click.echo_via_pager",
        "click.get_pager_file",
        "rich.console.Console.pager",
        "rich.console.PagerContext",
    ],
    "open the user's text editor so they can write a message": ["click.edit"],
    "open a web address or file with the program the desktop uses for it": ["click.launch"],
    "react to one key press without waiting for enter": ["click.getchar", "click.pause"],
    "accept only whole numbers between 1 and 10 for an option": ["click.IntRange"],
    "a flag that tells which release of my tool is installed": [
        "click.version_option",
        "click.custom_version_option",
    ],
    "share one settings holder with every subcommand": [
        "click.pass_obj",
        "click.make_pass_decorator",
        "click.Context.ensure_object",
        "click.Context.find_object",
    ],
    "spinning indicator while a long job runs": [
        "rich.console.Console.status",
        "rich.progress.SpinnerColumn",
    ],
    "grid of rows and columns with borders in the terminal": [
        "rich.table.Table",
        "rich.table.Table.add_column",
        "rich.table.Table.add_row",
    ],
    "nicer looking crash reports with the local variables": [
        "rich.traceback.install",
        "rich.traceback.Traceback",
        "rich.console.Console.print_exception",
    ],
    "send log records to the terminal with colours and times": ["rich.logging.RichHandler"],
    "show a .md document formatted in the terminal": ["rich.markdown.Markdown"],
    "put a border with a heading around a message": ["rich.panel.Panel"],
    "keep what was printed as a web page": [
        "rich.console.Console.export_html",
        "rich.console.Console.save_html",
    ],
    "redraw a dashboard in place several times a second": ["rich.live.Live"],
    "display nested items like a folder listing with connecting branches": [
        "rich.tree.Tree",
        "rich.tree.Tree.add",
    ],
    "bar that fills up while looping over many items": [
        "rich.progress.track",
        "rich.progress.Progress",
        "rich.progress.Progress.track",
        "rich.progress.BarColumn",
        "click.progressbar",
    ],
    "how many seconds until the job is done, guessed from speed so far": [
        "rich.progress.TimeRemainingColumn"
    ],
    "strip colour codes out of a string": ["click.unstyle"],
}

LIBDOCS_IDENTIFIERS = [
    "LinAlgError",
    "nan_to_num",
    "savez_compressed",
    "MT19937",
    "PCG64DXSM",
    "SeedSequence",
    "ascontiguousarray",
    "einsum_path",
    "take_along_axis",
    "fftshift",
    "rfftfreq",
    "tril_indices",
    "histogram_bin_edges",
    "nanquantile",
    "BadParameter",
    "get_app_dir",
    "echo_via_pager",
    "make_pass_decorator",
    "NoSuchOption",
    "confirmation_option",
    "get_parameter_source",
    "MofNCompleteColumn",
    "RichHandler",
    "print_exception",
    "export_svg",
    "TimeRemainingColumn",
    "set_window_title",
    "with_indent_guides",
    "stylize_range",
    "matrix_rank",
    "format_filename",
    "DownloadColumn",
    "print_json",
    "unique_inverse",
    "OverflowError",
]
