using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Support;

/// <summary>
/// The two diagonal cells of issue 23 as plain float64 loops over t in TorchSharp operations (autograd gives their
/// gradients), written from the equations, and a stack of them with PyTorch's layer and direction rules:
/// the reference the modules and `deeppcr run` are checked against.
/// </summary>
public static class DiagonalCellLoops
{
    /// <summary>
    /// gru-diag: r = σ(W_ir x + b_ir + w_hr ⊙ h + b_hr), z = σ(W_iz x + b_iz + w_hz ⊙ h + b_hz),
    /// n = tanh(W_in x + b_in + r ⊙ (w_hn ⊙ h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
    /// lstm-cifg-diag: f = σ(W_if x + b_if + w_hf ⊙ h + b_hf), g = tanh(W_ig x + b_ig + w_hg ⊙ h + b_hg),
    /// o = σ(W_io x + b_io + w_ho ⊙ h + b_ho), c' = f ⊙ c + (1 − f) ⊙ g, h' = o ⊙ tanh(c').
    /// </summary>
    /// <param name="lstm">lstm-cifg-diag instead of gru-diag.</param>
    /// <param name="x">[T, B, I].</param>
    /// <param name="wih">[3H, I].</param>
    /// <param name="whh">[3H] diagonal.</param>
    /// <param name="bih">[3H] or null.</param>
    /// <param name="bhh">[3H] or null.</param>
    /// <param name="h">[B, H].</param>
    /// <param name="c">[B, H] (lstm-cifg-diag).</param>
    /// <returns>Outputs [T, B, H], h_T, c_T (c_T = <paramref name="c"/> for gru-diag).</returns>
    public static (Tensor Output, Tensor H, Tensor C) Chain(bool lstm, Tensor x, Tensor wih, Tensor whh, Tensor? bih, Tensor? bhh, Tensor h, Tensor c)
    {
        long hidden = whh.shape[0] / 3;
        var (wr, wz, wn) = (whh[..(int)hidden], whh[(int)hidden..(int)(2 * hidden)], whh[(int)(2 * hidden)..]);
        var outputs = new List<Tensor>();
        for (long t = 0; t < x.shape[0]; t++)
        {
            var gi = torch.matmul(x[t], wih.t());
            if (bih is not null) gi = gi + bih;
            var g = gi.chunk(3, 1);
            var b = bhh is null ? new Tensor[] { torch.zeros_like(h), torch.zeros_like(h), torch.zeros_like(h) } : bhh.chunk(3, 0);
            if (!lstm)
            {
                var r = torch.sigmoid(g[0] + wr * h + b[0]);
                var z = torch.sigmoid(g[1] + wz * h + b[1]);
                var n = torch.tanh(g[2] + r * (wn * h + b[2]));
                h = (1 - z) * n + z * h;
            }
            else
            {
                var f = torch.sigmoid(g[0] + wr * h + b[0]);
                var gg = torch.tanh(g[1] + wz * h + b[1]);
                var o = torch.sigmoid(g[2] + wn * h + b[2]);
                c = f * c + (1 - f) * gg;
                h = o * torch.tanh(c);
            }
            outputs.Add(h);
        }
        return (torch.stack(outputs, 0), h, c);
    }

    /// <summary>
    /// Stacked layers by PyTorch's rules, written out: per layer the forward chain and (bidirectional) the chain
    /// over reversed T flipped back, concatenated; h_n, c_n layer-major. Time-major [T, B, I] in, [T, B, D·H] out.
    /// </summary>
    public static (Tensor Output, Tensor HN, Tensor CN) Stack(bool lstm, IReadOnlyDictionary<string, Tensor> p, int layers, bool bidirectional, Tensor x, Tensor? h0, Tensor? c0)
    {
        int directions = bidirectional ? 2 : 1;
        long batch = x.shape[1], hidden = p["weight_hh_l0"].shape[0] / 3;
        var hn = new List<Tensor>();
        var cn = new List<Tensor>();
        for (int layer = 0; layer < layers; layer++)
        {
            var outputs = new List<Tensor>();
            for (int d = 0; d < directions; d++)
            {
                string s = $"_l{layer}" + (d == 1 ? "_reverse" : "");
                int k = layer * directions + d;
                var h = h0 is null ? torch.zeros(batch, hidden, dtype: x.dtype) : h0[k];
                var c = c0 is null ? torch.zeros(batch, hidden, dtype: x.dtype) : c0[k];
                var input = d == 0 ? x : x.flip(0);
                var (o, hT, cT) = Chain(lstm, input, p["weight_ih" + s], p["weight_hh" + s], p.GetValueOrDefault("bias_ih" + s), p.GetValueOrDefault("bias_hh" + s), h, c);
                outputs.Add(d == 0 ? o : o.flip(0));
                hn.Add(hT);
                cn.Add(cT);
            }
            x = torch.cat(outputs.ToArray(), 2);
        }
        return (x, torch.stack(hn, 0), torch.stack(cn, 0));
    }
}
