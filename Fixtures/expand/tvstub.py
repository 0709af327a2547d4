"""Test-side stand-ins for modules timm imports but a VisionTransformer never uses (torchvision, PIL,
huggingface_hub, yaml): any attribute is another stand-in. Only for loading timm's model code."""
import sys, types, importlib.abc, importlib.machinery
class _Meta(type):
    def __getattr__(cls, name):
        if name.startswith("__"): raise AttributeError(name)
        return _Meta(name, (_Dummy,), {})
class _Dummy(metaclass=_Meta):
    def __init__(self, *a, **k): pass
class _Stub(types.ModuleType):
    __path__ = []
    __version__ = "10.0.0"
    def __getattr__(self, name):
        if name.startswith("__"): raise AttributeError(name)
        return _Meta(name, (_Dummy,), {})
class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in ("torchvision", "PIL", "huggingface_hub", "yaml"):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
    def create_module(self, spec): return _Stub(spec.name)
    def exec_module(self, module): pass
sys.meta_path.insert(0, _Finder())
