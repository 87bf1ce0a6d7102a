/// The rules' conditions compiled to one flat instruction array with short-circuit jumps, so a
/// decision walks contiguous memory with no recursion, allocation or reference counting.
struct RuleProgram: Sendable {
    struct Instruction: Sendable {
        enum Op: UInt8, Sendable { case member, range, jumpIfFalse, jumpIfTrue, negate, constant }
        var op: Op
        var field: Field = .callType
        var mask: UInt64 = 0        // member: the set bits; constant: 1 = true
        var lo: Int32 = 0           // range bounds, or the jump target
        var hi: Int32 = 0
    }

    private(set) var instructions: [Instruction] = []
    /// Per rule (in priority order), its slice of `instructions`.
    private(set) var ranges: [Range<Int>] = []

    init(conditions: [Condition]) {
        for condition in conditions {
            let start = instructions.count
            emit(condition)
            ranges.append(start..<instructions.count)
        }
    }

    private mutating func emit(_ condition: Condition) {
        switch condition {
        case .test(let predicate):
            switch predicate.test {
            case .member(let mask):
                instructions.append(Instruction(op: .member, field: predicate.field, mask: mask))
            case .range(let lo, let hi):
                instructions.append(Instruction(op: .range, field: predicate.field, lo: Int32(lo), hi: Int32(hi)))
            }
        case .all(let parts) where parts.isEmpty:
            instructions.append(Instruction(op: .constant, mask: 1))
        case .any(let parts) where parts.isEmpty:
            instructions.append(Instruction(op: .constant, mask: 0))
        case .all(let parts), .any(let parts):
            let jump: Instruction.Op = if case .all = condition { .jumpIfFalse } else { .jumpIfTrue }
            var patches: [Int] = []
            for (index, part) in parts.enumerated() {
                emit(part)
                if index < parts.count - 1 {
                    patches.append(instructions.count)
                    instructions.append(Instruction(op: jump))
                }
            }
            for patch in patches { instructions[patch].lo = Int32(instructions.count) }
        case .not(let inner):
            emit(inner)
            instructions.append(Instruction(op: .negate))
        }
    }

    /// Whether rule `index`'s condition holds for `call`.
    @inline(__always) func holds(rule index: Int, _ call: Call) -> Bool {
        let range = ranges[index]
        return instructions.withUnsafeBufferPointer { code in
            var result = true
            var pc = range.lowerBound
            let end = range.upperBound
            while pc < end {
                let instruction = code[pc]
                switch instruction.op {
                case .member:
                    let value = instruction.field.code(in: call)
                    result = value >= 0 && value < 64 && instruction.mask & (1 << UInt64(value)) != 0
                case .range:
                    let value = instruction.field.code(in: call)
                    result = Int(instruction.lo) <= value && value <= Int(instruction.hi)
                case .jumpIfFalse:
                    if !result { pc = Int(instruction.lo); continue }
                case .jumpIfTrue:
                    if result { pc = Int(instruction.lo); continue }
                case .negate:
                    result.toggle()
                case .constant:
                    result = instruction.mask != 0
                }
                pc += 1
            }
            return result
        }
    }
}
