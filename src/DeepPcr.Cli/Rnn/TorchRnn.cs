using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Rnn;

/// <summary>
/// A recurrent layer's forward pass written with TorchSharp alone (a baseline of `bench rnn`): input [T, B, I] to
/// output [T, B, H] from zero initial states, with its parameters in PyTorch's order (weight_ih, weight_hh, bias_ih,
/// bias_hh) for the backward pass's gradients.
/// </summary>
public abstract class TorchRnn : IDisposable
{
    /// <summary>What ran, in words (the JSON's `*_impl` fields).</summary>
    public abstract string Implementation { get; }

    /// <summary>The trainable parameters in PyTorch's order.</summary>
    public abstract IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>[T, B, I] to [T, B, H].</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>The module (nn.GRU, nn.LSTM) of a cell that has one, else null.</summary>
    public static TorchRnn? Module(RnnPoint point, RnnTensors weights) =>
        point.Cell is "gru" or "lstm" ? new TorchModuleRnn(point, weights) : null;

    /// <summary>The dense module of the same size (nn.GRU for gru and gru-diag, nn.LSTM for lstm and lstm-cifg-diag), drawn
    /// from the point's seed: what a user runs instead of a diagonal cell.</summary>
    public static TorchRnn DenseModule(RnnPoint point, ScalarType dtype)
    {
        var dense = point with { Cell = point.Cell.StartsWith("gru", StringComparison.Ordinal) ? "gru" : "lstm" };
        using var scope = torch.NewDisposeScope();
        return new TorchModuleRnn(dense, RnnTensors.Draw(dense).To(dtype));
    }

    /// <summary>The cell called step by step: nn.GRUCell / nn.LSTMCell, or the diagonal cells' fewest operations a step.</summary>
    public static TorchRnn CellLoop(RnnPoint point, RnnTensors weights) => point.Cell switch
    {
        "gru" or "lstm" => new TorchCellModuleLoop(point, weights),
        _ => new TorchDiagonalLoop(point, weights),
    };

    /// <summary>Copies the values into the module's parameters of the same names.</summary>
    protected static void Load(nn.Module module, RnnTensors weights, string suffix)
    {
        using var noGrad = torch.no_grad();
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, value) in weights.Parameters())
        {
            parameters[name.Replace("_l0", suffix, StringComparison.Ordinal)].copy_(value);
        }
    }

    /// <inheritdoc />
    public abstract void Dispose();
}

/// <summary>TorchSharp's nn.GRU / nn.LSTM (libtorch's fused CPU kernels).</summary>
internal sealed class TorchModuleRnn : TorchRnn
{
    private readonly nn.Module module;
    private readonly bool lstm;

    public TorchModuleRnn(RnnPoint point, RnnTensors weights)
    {
        lstm = point.Cell == "lstm";
        var dtype = weights.WeightIh.dtype;
        module = lstm ? nn.LSTM(point.Inputs, point.Hidden, dtype: dtype) : nn.GRU(point.Inputs, point.Hidden, dtype: dtype);
        Load(module, weights, "_l0");
        Parameters = module.parameters().ToArray();
    }

    public override string Implementation => lstm ? "nn.LSTM" : "nn.GRU";

    public override IReadOnlyList<Tensor> Parameters { get; }

    public override Tensor Forward(Tensor input) => lstm
        ? ((TorchSharp.Modules.LSTM)module).call(input, null).Item1
        : ((TorchSharp.Modules.GRU)module).call(input, null).Item1;

    public override void Dispose() => module.Dispose();
}

/// <summary>nn.GRUCell / nn.LSTMCell called once a step.</summary>
internal sealed class TorchCellModuleLoop : TorchRnn
{
    private readonly nn.Module cell;
    private readonly bool lstm;
    private readonly int hidden;

    public TorchCellModuleLoop(RnnPoint point, RnnTensors weights)
    {
        lstm = point.Cell == "lstm";
        hidden = point.Hidden;
        var dtype = weights.WeightIh.dtype;
        cell = lstm ? nn.LSTMCell(point.Inputs, point.Hidden, dtype: dtype) : nn.GRUCell(point.Inputs, point.Hidden, dtype: dtype);
        Load(cell, weights, "");
        Parameters = cell.parameters().ToArray();
    }

    public override string Implementation => lstm ? "nn.LSTMCell called step by step" : "nn.GRUCell called step by step";

    public override IReadOnlyList<Tensor> Parameters { get; }

    public override Tensor Forward(Tensor input)
    {
        var steps = input.unbind(0);
        var outputs = new Tensor[steps.Length];
        var h = torch.zeros(new long[] { input.size(1), hidden }, dtype: input.dtype);
        var c = h;
        for (int t = 0; t < steps.Length; t++)
        {
            if (lstm) (h, c) = ((TorchSharp.Modules.LSTMCell)cell).call(steps[t], (h, c));
            else h = ((TorchSharp.Modules.GRUCell)cell).call(steps[t], h);
            outputs[t] = h;
        }
        return torch.stack(outputs);
    }

    public override void Dispose() => cell.Dispose();
}

/// <summary>
/// The diagonal cells as a user writes them in TorchSharp: the input projection of every step in one matrix product
/// before the loop, then per step g = b_hh + h ⊙ w_hh (one addcmul over the three gate blocks) and the gates.
/// gru-diag: r, z = σ(x_rz + g_rz); n = tanh(x_n + r ⊙ g_n); h' = lerp(n, h, z) = (1 − z) ⊙ n + z ⊙ h: 6 operations.
/// lstm-cifg-diag: p = x + g; c' = lerp(tanh(p_g), c, σ(p_f)) = f ⊙ c + (1 − f) ⊙ g; h' = σ(p_o) ⊙ tanh(c'): 8.
/// </summary>
internal sealed class TorchDiagonalLoop : TorchRnn
{
    private readonly Tensor weightIh, weightHh, biasIh, biasHh;

    // Held for the loop's life: an implicit int-to-Scalar conversion per operation (what `a + b` does) leaves a Scalar
    // that the garbage collector may finalise while libtorch still reads it; at T = 16384 that failed in toFloat.
    private readonly Scalar one = 1.ToScalar();
    private readonly bool gru;
    private readonly int hidden;

    public TorchDiagonalLoop(RnnPoint point, RnnTensors weights)
    {
        gru = point.Cell == "gru-diag";
        hidden = point.Hidden;
        weightIh = weights.WeightIh.detach().clone().requires_grad_(true);
        weightHh = weights.WeightHh.detach().clone().requires_grad_(true);
        biasIh = weights.BiasIh.detach().clone().requires_grad_(true);
        biasHh = weights.BiasHh.detach().clone().requires_grad_(true);
        Parameters = new[] { weightIh, weightHh, biasIh, biasHh };
    }

    public override string Implementation => "TorchSharp loop: input projection before the loop, then " + (gru ? "6" : "8") + " operations a step";

    public override IReadOnlyList<Tensor> Parameters { get; }

    public override Tensor Forward(Tensor input)
    {
        long steps = input.size(0), batch = input.size(1);
        var projected = torch.addmm(biasIh, input.reshape(steps * batch, input.size(2)), weightIh.t(), 1, 1).reshape(steps, batch, 3, hidden).unbind(0);
        var w = weightHh.reshape(3, hidden);
        var b = biasHh.reshape(3, hidden);
        var h = torch.zeros(new long[] { batch, hidden }, dtype: input.dtype);
        var c = h;
        var outputs = new Tensor[steps];
        for (int t = 0; t < steps; t++)
        {
            var x = projected[t];
            var g = torch.addcmul(b, h.unsqueeze(1), w, one);
            if (gru)
            {
                var rz = torch.sigmoid(x[.., ..2].add(g[.., ..2], one));
                var n = torch.tanh(torch.addcmul(x[.., 2], rz[.., 0], g[.., 2], one));
                h = torch.lerp(n, h, rz[.., 1]);
            }
            else
            {
                var p = x.add(g, one);
                c = torch.lerp(torch.tanh(p[.., 1]), c, torch.sigmoid(p[.., 0]));
                h = torch.sigmoid(p[.., 2]) * torch.tanh(c);
            }
            outputs[t] = h;
        }
        return torch.stack(outputs);
    }

    public override void Dispose()
    {
        foreach (var p in Parameters) p.Dispose();
        one.Dispose();
    }
}
