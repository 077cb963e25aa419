"""ONNX export (fp32) and onnx-only dynamic int8 quantization for aios-tiny."""
import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper


def pin_signature(m, shapes, producer, path):
    """Sets every graph input and output to exactly `shapes` (ints fixed, strings named symbolic
    axes), drops intermediate shape info, checks the model and saves it to `path`."""
    for vi in list(m.graph.input) + list(m.graph.output):
        dims = vi.type.tensor_type.shape.dim
        want = shapes[vi.name]
        assert len(dims) == len(want), (vi.name, len(dims))
        for d, w in zip(dims, want):
            d.Clear()
            if isinstance(w, int):
                d.dim_value = w
            else:
                d.dim_param = w
    del m.graph.value_info[:]
    m.producer_name = producer
    onnx.checker.check_model(m)
    onnx.shape_inference.infer_shapes(m, strict_mode=True)
    onnx.save(m, path)


def export_fp32(model, cfg, path):
    L, H, D = cfg.num_hidden_layers, cfg.num_key_value_heads, cfg.head_dim
    b, s, p = 2, 5, 3
    input_ids = torch.randint(0, cfg.vocab_size, (b, s), dtype=torch.long)
    attention_mask = torch.ones(b, p + s, dtype=torch.long)
    position_ids = torch.arange(p, p + s, dtype=torch.long).unsqueeze(0).expand(b, s).contiguous()
    past = []
    for _ in range(L):
        past += [torch.randn(b, H, p, D), torch.randn(b, H, p, D)]

    input_names = ["input_ids", "attention_mask", "position_ids"]
    output_names = ["logits"]
    dyn = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(L):
        for kv in ("key", "value"):
            n_in, n_out = f"past_key_values.{i}.{kv}", f"present.{i}.{kv}"
            input_names.append(n_in)
            output_names.append(n_out)
            dyn[n_in] = {0: "batch_size", 2: "past_sequence_length"}
            dyn[n_out] = {0: "batch_size", 2: "total_sequence_length"}

    model.eval()
    with torch.no_grad():
        torch.onnx.export(
            model,
            (input_ids, attention_mask, position_ids, *past),
            path,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dyn,
            opset_version=14,
            do_constant_folding=True,
        )

    # Pin the graph signature exactly (fixed heads / head_dim, named symbolic axes).
    m = onnx.load(path)
    shapes = {
        "input_ids": ["batch_size", "sequence_length"],
        "attention_mask": ["batch_size", "total_sequence_length"],
        "position_ids": ["batch_size", "sequence_length"],
        "logits": ["batch_size", "sequence_length", cfg.vocab_size],
    }
    for i in range(L):
        for kv in ("key", "value"):
            shapes[f"past_key_values.{i}.{kv}"] = ["batch_size", H, "past_sequence_length", D]
            shapes[f"present.{i}.{kv}"] = ["batch_size", H, "total_sequence_length", D]
    pin_signature(m, shapes, "aios-tiny/tools/make_model.py", path)
    return m


def quantize_dynamic_int8(src_path, dst_path):
    """Replace every MatMul whose second input is a 2-D float initializer by
    DynamicQuantizeLinear(A) -> MatMulInteger(A_u8, W_s8, A_zp) -> Cast -> Mul(A_scale * W_scale[col])
    (symmetric per-output-column int8 weights, the same graph ORT's own dynamic quantizer emits)."""
    m = onnx.load(src_path)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers[i] = consumers.get(i, 0) + 1
    new_nodes = []
    remove_inits = set()
    new_inits = []
    qcount = 0
    for n in g.node:
        if n.op_type == "MatMul" and n.input[1] in inits and len(inits[n.input[1]].dims) == 2:
            wname = n.input[1]
            w = numpy_helper.to_array(inits[wname]).astype(np.float32)  # [K, N]
            amax = np.abs(w).max(axis=0)
            scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
            wq = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
            base = f"{wname}_q{qcount}"
            qcount += 1
            new_inits.append(numpy_helper.from_array(wq, base + "_int8"))
            new_inits.append(numpy_helper.from_array(scale, base + "_scale"))
            if consumers.get(wname, 0) <= 1:
                remove_inits.add(wname)
            a = n.input[0]
            new_nodes += [
                helper.make_node("DynamicQuantizeLinear", [a], [base + "_a_u8", base + "_a_scale", base + "_a_zp"], name=base + "_dql"),
                helper.make_node("MatMulInteger", [base + "_a_u8", base + "_int8", base + "_a_zp"], [base + "_i32"], name=base + "_mmi"),
                helper.make_node("Cast", [base + "_i32"], [base + "_f32"], to=TensorProto.FLOAT, name=base + "_cast"),
                helper.make_node("Mul", [base + "_a_scale", base + "_scale"], [base + "_s"], name=base + "_smul"),
                helper.make_node("Mul", [base + "_f32", base + "_s"], [n.output[0]], name=base + "_out"),
            ]
        else:
            new_nodes.append(n)
    del g.node[:]
    g.node.extend(new_nodes)
    keep = [t for t in g.initializer if t.name not in remove_inits]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    del g.value_info[:]
    onnx.checker.check_model(m)
    onnx.save(m, dst_path)
    return qcount


def _tied_lm_head(g, embed_name):
    """(MatMul node, its folded weight initializer) where the weight is the transposed
    embedding (torch folds `embed.weight.t()` into a second copy)."""
    inits = {t.name: t for t in g.initializer}
    emb = numpy_helper.to_array(inits[embed_name])
    for n in g.node:
        if n.op_type == "MatMul" and n.input[1] in inits:
            w = inits[n.input[1]]
            if list(w.dims) == [emb.shape[1], emb.shape[0]] and np.array_equal(numpy_helper.to_array(w), emb.T):
                return n, w
    raise ValueError("no tied lm-head MatMul found")


def dedupe_fp32(path, embed_name="embed_tokens.weight"):
    """Drop the folded transposed copy of the tied embedding: the lm head reads
    Transpose(embed_tokens.weight) (ONNX Runtime folds it once at load). Saves vocab*hidden*4 bytes."""
    m = onnx.load(path)
    g = m.graph
    node, w = _tied_lm_head(g, embed_name)
    t_out = "lm_head.weight_T"
    node.input[1] = t_out
    idx = list(g.node).index(node)
    g.node.insert(idx, helper.make_node("Transpose", [embed_name], [t_out], perm=[1, 0], name="lm_head_transpose"))
    keep = [t for t in g.initializer if t.name != w.name]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(m)
    onnx.shape_inference.infer_shapes(m, strict_mode=True)
    onnx.save(m, path)


def dedupe_q8_embedding(path, vocab_size, embed_name="embed_tokens.weight"):
    """In the int8 model, let the input embedding share the lm head's int8 weights: the lm head's
    per-output-column scales are per-row scales of the tied embedding, so
    embed(ids) = Cast(Gather(W8, ids)) * Gather(scale, ids)[..., None] with W8 = the lm head's
    int8 [hidden, vocab] matrix stored transposed ([vocab, hidden]) and read through a Transpose
    by the lm head. Replaces the fp32 embedding table (vocab*hidden*4 bytes) by nothing."""
    m = onnx.load(path)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    mmi = [n for n in g.node if n.op_type == "MatMulInteger" and n.input[1] in inits
           and list(inits[n.input[1]].dims)[1:] == [vocab_size]]
    assert len(mmi) == 1, len(mmi)
    mmi = mmi[0]
    w8_name = mmi.input[1]
    base = w8_name[: -len("_int8")]
    scale_name = base + "_scale"
    w8 = numpy_helper.to_array(inits[w8_name])  # [hidden, vocab]
    gathers = [n for n in g.node if n.op_type == "Gather" and n.input[0] == embed_name]
    assert len(gathers) == 1, len(gathers)
    gat = gathers[0]
    ids, emb_out = gat.input[1], gat.output[0]
    table = "embed_tokens.weight_int8"
    new_inits = [numpy_helper.from_array(np.ascontiguousarray(w8.T), table),
                 numpy_helper.from_array(np.array([-1], dtype=np.int64), "embed_axes_last")]
    emb_nodes = [
        helper.make_node("Gather", [table, ids], ["embed_q"], axis=0, name="embed_gather_q"),
        helper.make_node("Cast", ["embed_q"], ["embed_qf"], to=TensorProto.FLOAT, name="embed_cast"),
        helper.make_node("Gather", [scale_name, ids], ["embed_scale"], axis=0, name="embed_gather_scale"),
        helper.make_node("Unsqueeze", ["embed_scale", "embed_axes_last"], ["embed_scale_u"], name="embed_unsqueeze"),
        helper.make_node("Mul", ["embed_qf", "embed_scale_u"], [emb_out], name="embed_dequant"),
    ]
    nodes = []
    for n in g.node:
        if n is gat:
            nodes += emb_nodes
        elif n is mmi:
            nodes.append(helper.make_node("Transpose", [table], ["lm_head_int8_T"], perm=[1, 0], name="lm_head_int8_transpose"))
            n.input[1] = "lm_head_int8_T"
            nodes.append(n)
        else:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    keep = [t for t in g.initializer if t.name not in (w8_name, embed_name)]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    del g.value_info[:]
    onnx.checker.check_model(m)
    onnx.save(m, path)
