"""Tiny Hugging Face models in the layouts users have, for wave's input and output tests.

Seeded random weights (no download); every folder is what `save_pretrained` writes (model.safetensors +
config.json). Head dimensions are chosen so that no guess from the tensors gives the right head count:
the tests fail unless config.json (or the ONNX graph) is read.

  bert/             BertModel: vocab 64, hidden 32, 2 layers, 4 heads of width 8, MLP 48, 16 positions, pooler
  bert-st/          the same BERT in a sentence-transformers folder (modules.json, 1_Pooling/, weights at the root)
  bert-st.onnx      that sentence-transformers model exported to ONNX by torch's TorchScript exporter: nodes
                    /model/model.0/auto_model/..., initializers model.0.auto_model... (anonymous MatMul weights)
  dinov2/           Dinov2Model: hidden 32, 2 layers, 2 heads of width 16, patch 4, image 16, LayerScale 0.5
  vit/              ViTModel: hidden 24, 2 layers, 2 heads of width 12, patch 4, image 12, pooler
  vit-msn/          ViTMSNModel (saved with ViT's tensor names, model_type vit_msn): hidden 24, 2 layers, 3 heads of 8, MLP 48

Run: ~/.cache/wave/venv/bin/python Fixtures/hf/make_tiny.py   (torch 2.13 CPU, transformers 5.23.0)
"""
import json, os, shutil, sys
import torch
import transformers
from transformers import BertConfig, BertModel, Dinov2Config, Dinov2Model, ViTConfig, ViTModel, ViTMSNConfig, ViTMSNModel

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)


def randomize(model):
    # Non-trivial norms and biases too, so a swapped or dropped tensor shows in the outputs.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("mask_token"):
                continue
            p.copy_(torch.randn_like(p) * (0.3 if p.dim() > 1 else 0.1) + (1.0 if "LayerNorm.weight" in name or "norm" in name and name.endswith("weight") else 0.0))
    return model.eval()


def save(model, name):
    path = os.path.join(HERE, name)
    shutil.rmtree(path, ignore_errors=True)
    model.save_pretrained(path)
    return path


bert_cfg = BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
                      max_position_embeddings=16, type_vocab_size=2, layer_norm_eps=1e-12, hidden_act="gelu")
bert = randomize(BertModel(bert_cfg))
save(bert, "bert")

# sentence-transformers: the Transformer module's files at the root, the pooling config in 1_Pooling.
st = save(bert, "bert-st")
json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
           {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}],
          open(os.path.join(st, "modules.json"), "w"), indent=2)
os.makedirs(os.path.join(st, "1_Pooling"), exist_ok=True)
json.dump({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True},
          open(os.path.join(st, "1_Pooling", "config.json"), "w"), indent=2)
json.dump({"max_seq_length": 16, "do_lower_case": False}, open(os.path.join(st, "sentence_bert_config.json"), "w"))


class Transformer(torch.nn.Module):   # sentence_transformers.models.Transformer's attribute names
    def __init__(self, m):
        super().__init__()
        self.auto_model = m

    def forward(self, features):
        ids, mask = features
        return self.auto_model(input_ids=ids, attention_mask=mask).last_hidden_state, mask


class MeanPooling(torch.nn.Module):
    def forward(self, features):
        h, mask = features
        w = mask.unsqueeze(-1).to(h.dtype)
        return (h * w).sum(1) / w.sum(1)


class Exported(torch.nn.Module):
    """What an exporter wraps around a SentenceTransformer (a Sequential that is called): nodes get
    /model/model.0/auto_model/..., the state dict model.0.auto_model..."""
    def __init__(self, m):
        super().__init__()
        self.model = torch.nn.Sequential()
        self.model.add_module("0", Transformer(m))
        self.model.add_module("1", MeanPooling())

    def forward(self, ids, mask):
        return self.model((ids, mask))


ids = torch.tensor([[1, 5, 9, 2, 0, 0], [3, 4, 7, 8, 11, 2]])
mask = (ids != 0).long()
torch.onnx.export(Exported(bert), (ids, mask), os.path.join(HERE, "bert-st.onnx"), input_names=["input_ids", "attention_mask"],
                  output_names=["sentence_embedding"], opset_version=14, dynamo=False,
                  dynamic_axes={"input_ids": {0: "b", 1: "s"}, "attention_mask": {0: "b", 1: "s"}})

dino_cfg = Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=4, image_size=16, patch_size=4,
                        num_channels=3, layerscale_value=0.5, layer_norm_eps=1e-6, hidden_act="gelu")
save(randomize(Dinov2Model(dino_cfg)), "dinov2")

vit_cfg = ViTConfig(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=96, image_size=12, patch_size=4,
                    num_channels=3, layer_norm_eps=1e-12, hidden_act="gelu", qkv_bias=True)
save(randomize(ViTModel(vit_cfg)), "vit")
# A family added as a JSON file only (families/hf-vit-msn.json): save_pretrained writes ViT's names, model_type vit_msn.
msn_cfg = ViTMSNConfig(hidden_size=24, num_hidden_layers=2, num_attention_heads=3, intermediate_size=48, image_size=8, patch_size=4,
                       num_channels=3, layer_norm_eps=1e-6, hidden_act="gelu", qkv_bias=True)
save(randomize(ViTMSNModel(msn_cfg)), "vit-msn")
print("made", sorted(os.listdir(HERE)), "with torch", torch.__version__, "transformers", transformers.__version__)
