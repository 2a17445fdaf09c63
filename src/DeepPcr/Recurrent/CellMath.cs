using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Recurrent;

/// <summary>
/// One step of a recurrent cell as TorchSharp operations, with the unit-wise sensitivities the Jacobian and the gradients
/// are made of. Shapes: P, Q (n, B, G·H) the input and recurrent pre-activations; h, c (n, B, H). With O outputs (h', and
/// c' for the LSTMs), the sensitivities are SQ (n, B, O, G, H) = d out / d Q_g unit by unit, SP likewise for P (null when
/// it equals SQ), DH (n, B, O, H) = the direct d out / d h (null when zero), DC (n, B, O, H) = d out / d c.
/// </summary>
internal static class CellMath
{
    /// <summary>The new state (n, B, w): h', or [h'; c'] for the LSTMs.</summary>
    public static Tensor Step(RecurrentCell cell, Tensor p, Tensor q, Tensor h, Tensor? c) => Run(cell, p, q, h, c, sensitivities: false).State;

    /// <summary>The new state and the sensitivities.</summary>
    public static CellStep Run(RecurrentCell cell, Tensor p, Tensor q, Tensor h, Tensor? c, bool sensitivities)
    {
        var pg = p.chunk(RecurrentCells.Gates(cell), -1);
        var qg = q.chunk(RecurrentCells.Gates(cell), -1);
        return cell switch
        {
            RecurrentCell.Gru or RecurrentCell.GruDiag => Gru(pg, qg, h, sensitivities),
            RecurrentCell.Lstm => Lstm(pg, qg, c!, sensitivities),
            _ => Cifg(pg, qg, c!, sensitivities),
        };
    }

    private static CellStep Gru(Tensor[] p, Tensor[] q, Tensor h, bool sensitivities)
    {
        var r = (p[0] + q[0]).sigmoid();
        var u = (p[1] + q[1]).sigmoid();
        var n = (p[2] + r * q[2]).tanh();
        var next = n + u * (h - n);
        if (!sensitivities) return new CellStep(next);
        var a = (1 - u) * (1 - n * n);                 // d h' / d (n's pre-activation)
        var sr = a * q[2] * r * (1 - r);
        var sz = (h - n) * u * (1 - u);
        var sq = torch.stack(new[] { sr, sz, a * r }, -2).unsqueeze(-3);
        var sp = torch.stack(new[] { sr, sz, a }, -2).unsqueeze(-3);
        return new CellStep(next, sq, sp, u.unsqueeze(-2), null);
    }

    private static CellStep Lstm(Tensor[] p, Tensor[] q, Tensor c, bool sensitivities)
    {
        var i = (p[0] + q[0]).sigmoid();
        var f = (p[1] + q[1]).sigmoid();
        var g = (p[2] + q[2]).tanh();
        var o = (p[3] + q[3]).sigmoid();
        var cn = f * c + i * g;
        var tc = cn.tanh();
        var next = torch.cat(new[] { o * tc, cn }, -1);
        if (!sensitivities) return new CellStep(next);
        var zero = torch.zeros_like(c);
        var dc = new[] { g * i * (1 - i), c * f * (1 - f), i * (1 - g * g), zero };
        return Cell(dc, o, tc, f, next);
    }

    private static CellStep Cifg(Tensor[] p, Tensor[] q, Tensor c, bool sensitivities)
    {
        var f = (p[0] + q[0]).sigmoid();
        var g = (p[1] + q[1]).tanh();
        var o = (p[2] + q[2]).sigmoid();
        var cn = f * c + (1 - f) * g;
        var tc = cn.tanh();
        var next = torch.cat(new[] { o * tc, cn }, -1);
        if (!sensitivities) return new CellStep(next);
        var dc = new[] { (c - g) * f * (1 - f), (1 - f) * (1 - g * g), torch.zeros_like(c) };
        return Cell(dc, o, tc, f, next);
    }

    /// <summary>The LSTMs' sensitivities from d c' / d Q_g (the output gate, last, reaches h' only).</summary>
    private static CellStep Cell(Tensor[] dc, Tensor o, Tensor tc, Tensor f, Tensor next)
    {
        var through = o * (1 - tc * tc);                // d h' / d c'
        var dh = dc.Select(x => through * x).ToArray();
        dh[^1] = tc * o * (1 - o);
        var sq = torch.stack(new[] { torch.stack(dh, -2), torch.stack(dc, -2) }, -3);   // (n, B, 2, G, H)
        var direct = torch.stack(new[] { through * f, f }, -2);                         // (n, B, 2, H)
        return new CellStep(next, sq, null, null, direct);
    }
}

/// <summary>One evaluated cell step (see <see cref="CellMath"/> for the shapes).</summary>
internal sealed record CellStep(Tensor State, Tensor? SQ = null, Tensor? SP = null, Tensor? DH = null, Tensor? DC = null);
