using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepPcr.Models.Diffusion;

/// <summary>
/// The noise predictor epsHat(x, t) for 64-dimensional digits: an MLP on [x; e(t)], with e(t) a 32-dimensional
/// sinusoidal embedding of t (frequencies 10000^(-i/16)), two hidden SiLU layers of width H, and a linear output
/// of width 64. Small enough to train in seconds on a CPU, and its Jacobian in x is analytic:
/// W3 diag(silu'(h2)) W2 diag(silu'(h1)) W1[:, :64].
/// </summary>
public sealed class Denoiser : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Dimension of the time embedding.</summary>
    public const int EmbeddingSize = 32;

    private readonly TorchSharp.Modules.Linear input;
    private readonly TorchSharp.Modules.Linear hidden;
    private readonly TorchSharp.Modules.Linear output;

    /// <summary>A seeded denoiser for states of width w with hidden width H.</summary>
    public Denoiser(int width, int hiddenWidth, long seed, ScalarType dtype = ScalarType.Float32) : base("Denoiser")
    {
        torch.random.manual_seed(seed);
        Width = width;
        HiddenWidth = hiddenWidth;
        input = nn.Linear(width + EmbeddingSize, hiddenWidth, dtype: dtype);
        hidden = nn.Linear(hiddenWidth, hiddenWidth, dtype: dtype);
        output = nn.Linear(hiddenWidth, width, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>State width w.</summary>
    public int Width { get; }

    /// <summary>Hidden width H.</summary>
    public int HiddenWidth { get; }

    /// <summary>epsHat (R, w) for states x (R, w) at times t (R), float, values 1..T.</summary>
    public override Tensor forward(Tensor x, Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        var (h1, h2) = Hidden(x, t);
        return output.call(nn.functional.silu(h2)).MoveToOuterDisposeScope();
    }

    /// <summary>d epsHat / dx (R, w, w) at states x (R, w) and times t (R).</summary>
    public Tensor JacobianX(Tensor x, Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        var (h1, h2) = Hidden(x, t);
        var w1 = input.weight!.narrow(1, 0, Width);                              // (H, w)
        var right = SiluSlope(h1).unsqueeze(-1) * w1;                           // (R, H, w)
        var middle = torch.matmul(hidden.weight!, right);                        // (R, H, w)
        var left = output.weight! * SiluSlope(h2).unsqueeze(1);                  // (R, w, H)
        return torch.matmul(left, middle).MoveToOuterDisposeScope();             // (R, w, w)
    }

    /// <summary>
    /// tr(d epsHat / dx) (R) at states x (R, w) and times t (R) without forming the Jacobian:
    /// tr(W3 D2 W2 D1 W1x) = d2^T (W2 ∘ (W1x W3)^T) d1, where D = diag(d), so each row costs H^2 instead of w H^2.
    /// </summary>
    public Tensor TraceJacobianX(Tensor x, Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        var (h1, h2) = Hidden(x, t);
        var w1 = input.weight!.narrow(1, 0, Width);                              // (H, w)
        var coupling = hidden.weight! * torch.matmul(w1, output.weight!).t();    // (H, H): W2 ∘ (W1x W3)^T
        var inner = torch.matmul(SiluSlope(h1), coupling.t());                   // (R, H): rows of coupling · d1
        return (SiluSlope(h2) * inner).sum(1).MoveToOuterDisposeScope();         // (R)
    }

    /// <summary>The sinusoidal embedding (R, 32) of times t (R).</summary>
    public static Tensor Embed(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        var frequencies = torch.exp(torch.arange(0, EmbeddingSize / 2, dtype: t.dtype, device: t.device) * (-Math.Log(10000.0) / (EmbeddingSize / 2)));
        var angles = t.unsqueeze(-1) * frequencies;
        return torch.cat(new[] { angles.sin(), angles.cos() }, -1).MoveToOuterDisposeScope();
    }

    private (Tensor H1, Tensor H2) Hidden(Tensor x, Tensor t)
    {
        var h1 = input.call(torch.cat(new[] { x, Embed(t.to_type(x.dtype)) }, -1));
        var h2 = hidden.call(nn.functional.silu(h1));
        return (h1, h2);
    }

    private static Tensor SiluSlope(Tensor h)
    {
        var s = h.sigmoid();
        return s * (1 + h * (1 - s));
    }
}
