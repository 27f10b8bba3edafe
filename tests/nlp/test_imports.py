import subprocess
import sys

from .conftest import REPO_ROOT


def test_nlp_imports_neither_pyramid_nor_dramatiq_and_lexicon_needs_no_torch():
    code = (
        "import sys\n"
        "import nlp\n"
        "from nlp import load_classifier, CATEGORIES\n"
        "clf = load_classifier('lexicon')\n"
        "r = clf.classify_batch([{'id': 1, 'text': '送餐太慢了', 'rating': 3}])[0]\n"
        "assert r.categories == ['logistics'], r\n"
        "bad = [m for m in ('pyramid', 'dramatiq', 'torch', 'transformers', 'sklearn') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-W", "error::DeprecationWarning:nlp", "-c", code],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_categories_constant():
    from nlp import CATEGORIES

    assert CATEGORIES == ("taste", "freshness", "logistics", "quality", "service", "price", "other")


def test_the_default_model_loads_and_runs_without_torch():
    """The shipped transformer runs on ONNX Runtime: loading the default model imports neither
    torch nor transformers (torch's import alone was half of the load time)."""
    code = (
        "import sys\n"
        "from nlp import load_classifier\n"
        "clf = load_classifier()\n"
        "r = clf.classify_batch([{'id': 1, 'text': '送餐太慢了，等了两个小时', 'rating': 2}])[0]\n"
        "assert 'logistics' in r.categories, r\n"
        "print(','.join(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
