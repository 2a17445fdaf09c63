using DeepPcr.Recurrent;
using static TorchSharp.torch;

namespace DeepPcr.Models.Recurrent;

/// <summary>The checks a recurrent forward pass makes on its arguments before any work, with messages that name the argument.</summary>
internal static class RecurrentInputs
{
    /// <summary>Checks the input and initial states against the layout and the parameters' dtype and device; returns whether the input is batched.</summary>
    /// <exception cref="ArgumentException">A wrong rank, width, dtype or device, an empty sequence or batch, or initial states that do not fit.</exception>
    public static bool Check(RecurrentLayout layout, Tensor weight, Tensor input, Tensor? h0, Tensor? c0)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 2 && input.dim() != 3)
        {
            throw new ArgumentException($"input has shape {Shape(input)}; [T, B, {layout.InputSize}]" + (layout.BatchFirst ? " (batch first: [B, T, I])" : "") + $" or unbatched [T, {layout.InputSize}] was expected.");
        }
        bool batched = input.dim() == 3;
        if (input.shape[^1] != layout.InputSize) throw new ArgumentException($"input has {input.shape[^1]} features but input_size is {layout.InputSize}.");
        if (input.numel() == 0) throw new ArgumentException($"input has shape {Shape(input)}; the sequence and the batch must not be empty.");
        if (input.dtype != weight.dtype) throw new ArgumentException($"input is {input.dtype} but the parameters are {weight.dtype}; convert one (module.to(dtype)).");
        if (input.device.ToString() != weight.device.ToString()) throw new ArgumentException($"input is on {input.device} but the parameters are on {weight.device}.");
        long batch = batched ? input.shape[layout.BatchFirst ? 0 : 1] : 1;
        long[] stateShape = batched ? new[] { layout.Chains, batch, layout.HiddenSize } : new[] { layout.Chains, layout.HiddenSize };
        CheckState("h0", h0, stateShape, weight);
        if (c0 is not null && !RecurrentCells.HasCellState(layout.Cell)) throw new ArgumentException($"c0 was given but the cell {RecurrentCells.Name(layout.Cell)} has no cell state.");
        CheckState("c0", c0, stateShape, weight);
        return batched;
    }

    private static void CheckState(string name, Tensor? state, long[] shape, Tensor weight)
    {
        if (state is null) return;
        if (!state.shape.SequenceEqual(shape)) throw new ArgumentException($"{name} has shape {Shape(state)}; [{string.Join(", ", shape)}] (layers·directions, B, H) was expected.");
        if (state.dtype != weight.dtype) throw new ArgumentException($"{name} is {state.dtype} but the parameters are {weight.dtype}.");
        if (state.device.ToString() != weight.device.ToString()) throw new ArgumentException($"{name} is on {state.device} but the parameters are on {weight.device}.");
    }

    private static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";
}
