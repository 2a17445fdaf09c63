using DeepPcr.Recurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Recurrent;

/// <summary>
/// The plain sequential loop of each cell's equations (issue 23), one time step after another in TorchSharp operations
/// under autograd, written apart from the library's cell code: the reference for outputs and gradients.
/// </summary>
internal static class RecurrentReference
{
    /// <summary>Output [T, B, H], h_T, c_T (or null).</summary>
    public static (Tensor Output, Tensor HN, Tensor? CN) Run(RecurrentCell cell, Tensor x, RecurrentWeights w, Tensor? h0, Tensor? c0)
    {
        long steps = x.shape[0], batch = x.shape[1];
        int hidden = w.Hidden(cell);
        var h = h0 ?? torch.zeros(new long[] { batch, hidden }, dtype: x.dtype);
        var c = c0 ?? torch.zeros(new long[] { batch, hidden }, dtype: x.dtype);
        var outputs = new List<Tensor>();
        for (long t = 0; t < steps; t++)
        {
            var p = torch.matmul(x[t], w.WeightIh.t());
            if (w.BiasIh is not null) p = p + w.BiasIh;
            var q = RecurrentCells.HasDiagonalRecurrence(cell) ? torch.cat(Enumerable.Repeat(h, RecurrentCells.Gates(cell)).ToArray(), -1) * w.WeightHh : torch.matmul(h, w.WeightHh.t());
            if (w.BiasHh is not null) q = q + w.BiasHh;
            var P = p.chunk(RecurrentCells.Gates(cell), -1);
            var Q = q.chunk(RecurrentCells.Gates(cell), -1);
            switch (cell)
            {
                case RecurrentCell.Gru:
                case RecurrentCell.GruDiag:
                {
                    var r = torch.sigmoid(P[0] + Q[0]);
                    var z = torch.sigmoid(P[1] + Q[1]);
                    var n = torch.tanh(P[2] + r * Q[2]);
                    h = (1 - z) * n + z * h;
                    break;
                }
                case RecurrentCell.Lstm:
                {
                    var i = torch.sigmoid(P[0] + Q[0]);
                    var f = torch.sigmoid(P[1] + Q[1]);
                    var g = torch.tanh(P[2] + Q[2]);
                    var o = torch.sigmoid(P[3] + Q[3]);
                    c = f * c + i * g;
                    h = o * torch.tanh(c);
                    break;
                }
                default:
                {
                    var f = torch.sigmoid(P[0] + Q[0]);
                    var g = torch.tanh(P[1] + Q[1]);
                    var o = torch.sigmoid(P[2] + Q[2]);
                    c = f * c + (1 - f) * g;
                    h = o * torch.tanh(c);
                    break;
                }
            }
            outputs.Add(h);
        }
        return (torch.stack(outputs, 0), h, RecurrentCells.HasCellState(cell) ? c : null);
    }

    /// <summary>PyTorch's default initialisation, U(±gain/√H) for every tensor (the diagonal weight_hh too), seeded, requiring grad.</summary>
    public static RecurrentWeights Weights(RecurrentCell cell, int input, int hidden, ScalarType dtype, long seed, double gain = 1.0, bool bias = true)
    {
        var g = new Generator((ulong)seed);
        int rows = RecurrentCells.Gates(cell) * hidden;
        double bound = 1 / Math.Sqrt(hidden);
        Tensor Draw(long[] shape, double scale) => ((torch.rand(shape, dtype: ScalarType.Float64, generator: g) * 2 - 1) * bound * scale).to_type(dtype).requires_grad_(true);
        var hh = RecurrentCells.HasDiagonalRecurrence(cell) ? new long[] { rows } : new long[] { rows, hidden };
        return RecurrentWeights.Create(cell, Draw(new long[] { rows, input }, 1), Draw(hh, gain),
            bias ? Draw(new long[] { rows }, 1) : null, bias ? Draw(new long[] { rows }, 1) : null);
    }

    /// <summary>x ~ N(0, 1) [T, B, I] and h0, c0 ~ N(0, 0.5^2) [B, H] (c0 only for the cells with a cell state), requiring grad.</summary>
    public static (Tensor X, Tensor H0, Tensor? C0) Inputs(RecurrentCell cell, int steps, int batch, int input, int hidden, ScalarType dtype, long seed)
    {
        var g = new Generator((ulong)seed);
        Tensor Draw(long[] shape, double scale) => (torch.randn(shape, dtype: ScalarType.Float64, generator: g) * scale).to_type(dtype).requires_grad_(true);
        var x = Draw(new long[] { steps, batch, input }, 1);
        var h0 = Draw(new long[] { batch, hidden }, 0.5);
        var c0 = RecurrentCells.HasCellState(cell) ? Draw(new long[] { batch, hidden }, 0.5) : null;
        return (x, h0, c0);
    }

    /// <summary>The tensors a gradient is taken of: x, h0, c0 (when present) and each weight tensor present.</summary>
    public static List<Tensor> Leaves(Tensor x, Tensor h0, Tensor? c0, RecurrentWeights w)
    {
        var leaves = new List<Tensor> { x, h0 };
        if (c0 is not null) leaves.Add(c0);
        leaves.AddRange(w.Present);
        return leaves;
    }

    /// <summary>max |a - b| / max |b| (0 / 0 counts as 0).</summary>
    public static double RelativeError(Tensor a, Tensor b)
    {
        double scale = b.abs().max().ToDouble(), delta = (a.to_type(b.dtype) - b).abs().max().ToDouble();
        return delta == 0 ? 0 : delta / scale;
    }
}
