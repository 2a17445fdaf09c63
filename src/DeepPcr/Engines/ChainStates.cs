using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Engines;

/// <summary>Small tensor helpers shared by the engines and the adjoint.</summary>
internal static class ChainStates
{
    /// <summary>(n, B, w): the inputs of the steps, the start state (B, w) followed by all but the last state.</summary>
    public static Tensor Shift(Tensor start, Tensor states) =>
        states.size(0) == 1 ? start.unsqueeze(0) : torch.cat(new[] { start.unsqueeze(0), states.narrow(0, 0, states.size(0) - 1) }, 0);

    /// <summary>The values of a tensor of any float dtype and device, as float64 on the host.</summary>
    public static double[] Host(Tensor t)
    {
        using var d = t.detach().to_type(ScalarType.Float64).cpu().contiguous();
        return d.data<double>().ToArray();
    }

    /// <summary>Disposes the old value of a field and keeps <paramref name="value"/> outside every dispose scope.</summary>
    public static void Replace(ref Tensor? field, Tensor? value)
    {
        if (ReferenceEquals(field, value)) return;
        field?.Dispose();
        field = value?.DetachFromDisposeScope();
    }
}
